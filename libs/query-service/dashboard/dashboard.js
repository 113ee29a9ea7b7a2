// The dashboard: reads the query layer's API with a read key (x-api-key header) and its live feed
// through a single-use ticket (EventSource cannot send headers). Plain browser script, no build step;
// Chart.js is the global `Chart` loaded before it.
'use strict';

const KEY_STORAGE = 'lambda-platform.read-key';
const RUN_HISTORY_LIMIT = 20;
const LIVE_EVENTS_SHOWN = 50;
const SEGMENTS_CHARTED = 20;
const SUMMARY_REFRESH_MS = 10_000;
const LIVE_REOPEN_MS = 2_000;

const page = {
  model: new URLSearchParams(location.search).get('model') ?? 'churn',
  summary: null,
  runs: [],
  selectedRunId: null,
  lookedUpId: null,
  live: null,
  liveCount: 0,
  charts: {},
  refreshTimer: null,
};

const byId = (id) => document.getElementById(id);
const field = (name) => document.querySelector(`[data-field="${name}"]`);
const count = (value) => value.toLocaleString('en-US');
const score = (value) => (typeof value === 'number' ? value.toFixed(4) : 'n/a');
const time = (ms) => (ms > 0 ? new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '—');

function ago(ms) {
  if (!(ms > 0)) return '—';
  const seconds = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return seconds < 120 ? `${seconds} s ago` : seconds < 7200 ? `${Math.round(seconds / 60)} min ago` : `${Math.round(seconds / 3600)} h ago`;
}

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = String(text);
  if (className !== undefined) node.className = className;
  return node;
}

function row(cells) {
  const tr = document.createElement('tr');
  for (const cell of cells) tr.append(cell instanceof Node ? cell : element('td', cell));
  return tr;
}

function showStatus(message) {
  byId('status').textContent = message;
}

// --- the key -----------------------------------------------------------------------------------

class KeyRefused extends Error {}

function askForKey(message) {
  byId('key-error').textContent = message ?? '';
  const dialog = byId('key-dialog');
  if (!dialog.open) dialog.showModal();
}

async function api(path, init = {}) {
  const key = sessionStorage.getItem(KEY_STORAGE);
  if (key === null) throw new KeyRefused('no key yet');
  const response = await fetch(path, { ...init, headers: { ...init.headers, 'x-api-key': key } });
  const body = await response.json().catch(() => null);
  if (response.status === 401 || response.status === 403) {
    sessionStorage.removeItem(KEY_STORAGE);
    throw new KeyRefused(body?.message ?? `the key was refused (${response.status})`);
  }
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${response.status} ${body?.message ?? ''}`);
  return body;
}

function modelPath(suffix) {
  return `/models/${encodeURIComponent(page.model)}${suffix}`;
}

// --- charts ------------------------------------------------------------------------------------

function barChart(name, canvasId, options) {
  page.charts[name]?.destroy();
  page.charts[name] = new Chart(byId(canvasId), {
    type: 'bar',
    data: { labels: options.labels, datasets: options.datasets },
    options: {
      animation: false,
      indexAxis: options.horizontal ? 'y' : 'x',
      plugins: { legend: { display: options.datasets.length > 1 } },
      scales: { x: { ticks: { autoSkip: true } }, y: { beginAtZero: true } },
    },
  });
}

// --- summary and freshness ---------------------------------------------------------------------

function renderSummary(summary) {
  page.summary = summary;
  field('runId').textContent = summary.runId;
  field('modelVersion').textContent = summary.modelVersion;
  field('dataCutoff').textContent = time(summary.dataCutoff);
  field('pointer').textContent = `${summary.pointerAction} at ${time(summary.pointerAt)}`;
  field('batchCount').textContent = count(summary.countsBySource.batch);
  field('speedCount').textContent = count(summary.countsBySource.speed);
  field('stateBytes').textContent = `${(summary.estimatedBytes / 1_048_576).toFixed(1)} MiB`;
  renderFreshness();
  barChart('distribution', 'distribution-chart', {
    labels: summary.scoreDistribution.map((bin) => `${bin.from.toFixed(3)}–${bin.to.toFixed(3)}`),
    datasets: [{ label: 'entities', data: summary.scoreDistribution.map((bin) => bin.count), backgroundColor: '#4c78c8' }],
  });
  byId('distribution-chart').dataset.counts = summary.scoreDistribution.map((bin) => bin.count).join(',');
}

function renderFreshness() {
  if (page.summary === null) return;
  const { batchLoadedAt, speedAsOf } = page.summary.freshness;
  field('batchLoadedAt').textContent = `${time(batchLoadedAt)} (${ago(batchLoadedAt)})`;
  field('speedAsOf').textContent = `${time(speedAsOf)} (${ago(speedAsOf)})`;
}

// --- runs, report, drift, segments -------------------------------------------------------------

function verdict(run) {
  if (run.report === null) return element('td', 'not verified');
  const failed = run.report.gates.filter((gate) => !gate.passed).map((gate) => gate.name);
  return element('td', failed.length === 0 ? 'passed' : `failed: ${failed.join(', ')}`, failed.length === 0 ? 'passed' : 'failed');
}

function renderRuns(runs) {
  page.runs = runs;
  const body = byId('runs-body');
  body.replaceChildren(
    ...runs.map((run) => {
      const tr = row([run.runId, run.status, run.modelVersion, time(run.startedAt), element('td', count(run.rows), 'number'), time(run.dataCutoff), verdict(run)]);
      tr.dataset.runId = run.runId;
      tr.addEventListener('click', () => selectRun(run.runId));
      return tr;
    }),
  );
  const selected = runs.find((run) => run.runId === page.selectedRunId) ?? runs.find((run) => run.runId === page.summary?.runId) ?? runs[0];
  if (selected !== undefined) selectRun(selected.runId);
}

function selectRun(runId) {
  page.selectedRunId = runId;
  for (const tr of byId('runs-body').children) tr.classList.toggle('selected', tr.dataset.runId === runId);
  const run = page.runs.find((candidate) => candidate.runId === runId);
  const report = run?.report ?? null;
  byId('report-run').textContent = report === null ? `${runId}: none yet` : `${runId} (reference: ${report.referenceRunId ?? 'none, a first run'})`;
  renderGates(report);
  renderDrift(report);
  renderSegments(report);
}

function renderGates(report) {
  byId('gates-body').replaceChildren(
    ...(report?.gates ?? []).map((gate) =>
      row([gate.name, element('td', gate.passed ? 'yes' : 'no', gate.passed ? 'passed' : 'failed'), element('td', gate.observed ?? '—', 'number'), element('td', gate.threshold, 'number'), gate.message]),
    ),
  );
}

function renderDrift(report) {
  const gates = (report?.gates ?? []).filter((gate) => gate.name.startsWith('output-psi:') || gate.name.startsWith('feature-psi:'));
  const body = byId('drift-body');
  body.replaceChildren(
    ...gates.map((gate) => {
      const tr = row([gate.name, element('td', gate.observed === null ? 'not measured' : gate.observed.toFixed(4), 'number'), element('td', gate.threshold, 'number')]);
      tr.dataset.gate = gate.name;
      return tr;
    }),
  );
  barChart('drift', 'drift-chart', {
    horizontal: true,
    labels: gates.map((gate) => gate.name),
    datasets: [
      { label: 'PSI', data: gates.map((gate) => gate.observed ?? 0), backgroundColor: gates.map((gate) => (gate.passed ? '#4c78c8' : '#d04a3c')) },
      { label: 'threshold', data: gates.map((gate) => gate.threshold), backgroundColor: '#c8ccd4' },
    ],
  });
}

function renderSegments(report) {
  const segments = report?.segments ?? { columns: [], groups: [], overflow: null };
  const outputs = (report?.outputs ?? []).map((output) => output.name);
  byId('segments-head').replaceChildren(row([...segments.columns, 'entities', ...outputs.map((name) => `mean ${name}`)].map((name) => element('th', name))));
  const groups = [...segments.groups].sort((a, b) => b.count - a.count);
  byId('segments-body').replaceChildren(
    ...groups.map((group) => row([...group.values, element('td', count(group.count), 'number'), ...outputs.map((name) => element('td', score(group.outputMeans[name] ?? null), 'number'))])),
  );
  const charted = groups.slice(0, SEGMENTS_CHARTED);
  const first = outputs[0];
  barChart('segments', 'segments-chart', {
    horizontal: true,
    labels: charted.map((group) => group.values.join(' / ')),
    datasets: [{ label: first === undefined ? 'mean' : `mean ${first}`, data: charted.map((group) => (first === undefined ? 0 : (group.outputMeans[first] ?? 0))), backgroundColor: '#59a14f' }],
  });
}

// --- lookup ------------------------------------------------------------------------------------

function renderProvenance(prediction) {
  const entries = [
    ['entity', prediction.entityId],
    ['source', prediction.source],
    ['fallback', prediction.fallback ?? '—'],
    ['score', score(prediction.outputs[0])],
    ['outputs', prediction.outputs.map(score).join(', ')],
    ['run', prediction.runId],
    ['model version', prediction.modelVersion],
    ['data cut-off', time(prediction.dataCutoff)],
    ['scored at', prediction.scoredAt === null ? '—' : time(prediction.scoredAt)],
    ['event', prediction.eventId ?? '—'],
    ['event time', prediction.eventTime === null ? '—' : time(prediction.eventTime)],
    ['batch loaded at', time(prediction.freshness.batchLoadedAt)],
    ['speed rows as of', time(prediction.freshness.speedAsOf)],
  ];
  byId('provenance').replaceChildren(
    ...entries.flatMap(([name, value]) => {
      const dd = element('dd', value);
      dd.dataset.provenance = name;
      return [element('dt', name), dd];
    }),
  );
}

async function lookUp(entityId) {
  page.lookedUpId = entityId;
  renderProvenance(await api(modelPath(`/predictions/${encodeURIComponent(entityId)}`)));
}

// --- live feed ---------------------------------------------------------------------------------

function closeLive() {
  page.live?.close();
  page.live = null;
  byId('live-state').textContent = 'closed';
  byId('live-state').className = '';
}

async function openLive() {
  closeLive();
  const { ticket } = await api(modelPath('/live/tickets'), { method: 'POST' });
  const source = new EventSource(modelPath(`/live/ticketed?ticket=${encodeURIComponent(ticket)}`));
  page.live = source;
  source.addEventListener('open', () => {
    byId('live-state').textContent = 'open';
    byId('live-state').className = 'open';
  });
  source.addEventListener('prediction', (message) => {
    const prediction = JSON.parse(message.data);
    noteLiveEvent(`${time(Date.now())} ${prediction.entityId}: ${prediction.source} ${score(prediction.outputs[0])}`, prediction.entityId);
    if (prediction.entityId === page.lookedUpId) renderProvenance(prediction);
    scheduleRefresh(1_000);
  });
  source.addEventListener('run', (message) => {
    const run = JSON.parse(message.data);
    noteLiveEvent(`${time(Date.now())} run ${run.runId} (${run.action})`, null);
    scheduleRefresh(0);
  });
  // A ticket opens one stream: EventSource's own reconnect would present a spent ticket, so a
  // dropped stream is reopened with a new one.
  source.addEventListener('error', () => {
    if (page.live !== source) return;
    closeLive();
    setTimeout(() => void openLive().catch(handleError), LIVE_REOPEN_MS);
  });
}

function noteLiveEvent(text, entityId) {
  page.liveCount += 1;
  byId('live-count').textContent = String(page.liveCount);
  const item = element('li', text);
  if (entityId !== null) item.dataset.entityId = entityId;
  const list = byId('live-events');
  list.prepend(item);
  while (list.children.length > LIVE_EVENTS_SHOWN) list.lastElementChild.remove();
}

// --- loading -----------------------------------------------------------------------------------

function scheduleRefresh(delayMs) {
  clearTimeout(page.refreshTimer);
  page.refreshTimer = setTimeout(() => void refresh().catch(handleError), delayMs);
}

async function refresh() {
  const [summary, runs] = await Promise.all([api(modelPath('/summary')), api(modelPath(`/runs?limit=${RUN_HISTORY_LIMIT}`))]);
  renderSummary(summary);
  renderRuns(runs);
  showStatus('');
  document.body.dataset.loadedAt = String(Date.now());
  scheduleRefresh(SUMMARY_REFRESH_MS);
}

async function start() {
  page.liveCount = 0;
  await refresh();
  await openLive();
}

function handleError(error) {
  if (error instanceof KeyRefused) {
    closeLive();
    askForKey(error.message === 'no key yet' ? '' : error.message);
    return;
  }
  showStatus(error instanceof Error ? error.message : String(error));
}

function wire() {
  byId('model').value = page.model;
  byId('key-form').addEventListener('submit', () => {
    sessionStorage.setItem(KEY_STORAGE, byId('api-key').value.trim());
    byId('api-key').value = '';
    void start().catch(handleError);
  });
  byId('model-form').addEventListener('submit', (event) => {
    event.preventDefault();
    page.model = byId('model').value.trim();
    page.selectedRunId = null;
    history.replaceState(null, '', `?model=${encodeURIComponent(page.model)}`);
    void start().catch(handleError);
  });
  byId('forget-key').addEventListener('click', () => {
    sessionStorage.removeItem(KEY_STORAGE);
    closeLive();
    askForKey('');
  });
  byId('lookup-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void lookUp(byId('lookup-id').value.trim()).catch(handleError);
  });
  setInterval(renderFreshness, 1_000);
  void start().catch(handleError);
}

wire();
