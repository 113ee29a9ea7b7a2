import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** `--rows 1000000,10_000_000`: positive integers separated by commas (underscores allowed). */
export function positiveIntegers(text: string, option: string): number[] {
  const values = text.split(',').map((part) => Number(part.trim().replaceAll('_', '')));
  if (values.some((value) => !Number.isInteger(value) || value <= 0)) throw new Error(`${option} takes positive integers separated by commas, got ${text}`);
  return values;
}

/**
 * The body of a benchmark's child process: `node <child>.ts <spec.json>` runs one phase and writes
 * its result to the spec's resultFile (so nothing a library prints on stdout can corrupt it), or
 * its error beside it for the parent's report.
 */
export function runPhaseInThisProcess<Spec extends { readonly resultFile: string }>(runPhase: (spec: Spec) => Promise<unknown>, errorFileOf: (spec: Spec) => string): void {
  const main = async (): Promise<void> => {
    const specFile = process.argv[2];
    if (specFile === undefined) throw new Error(`usage: ${process.argv[1]} <spec.json> (started by its benchmark, not by hand)`);
    const spec = JSON.parse(readFileSync(specFile, 'utf8')) as Spec;
    try {
      writeFileSync(spec.resultFile, JSON.stringify(await runPhase(spec)));
    } catch (error) {
      writeFileSync(errorFileOf(spec), error instanceof Error ? `${error.name}: ${error.message}` : String(error));
      throw error;
    }
  };
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}

export interface PhaseChild<Result> {
  /** The phase's result once the child exited 0; rejects with its error otherwise. */
  readonly result: Promise<Result>;
  /** SIGTERM, for a phase that runs until told to stop. */
  terminate(): void;
}

/**
 * Starts `childEntry` on one phase's spec in a child process (its stdout and stderr go to our
 * stderr), optionally under `node --cpu-prof`; kills it past the timeout.
 */
export function spawnPhase<Result extends { readonly phase: string }>(
  childEntry: string,
  spec: { readonly phase: string; readonly resultFile: string },
  errorFile: string,
  timeoutMs: number,
  cpuProfile: { readonly dir: string; readonly name: string } | null,
): PhaseChild<Result> {
  const specFile = `${spec.resultFile}.spec.json`;
  writeFileSync(specFile, JSON.stringify(spec));
  const profileArgs = cpuProfile === null ? [] : ['--cpu-prof', `--cpu-prof-dir=${cpuProfile.dir}`, `--cpu-prof-name=${cpuProfile.name}`];
  const child = spawn(process.execPath, [...process.execArgv, ...profileArgs, childEntry, specFile], { stdio: ['ignore', 2, 2] });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const result = (async () => {
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    clearTimeout(timer);
    if (timedOut) throw new Error(`${spec.phase} exceeded ${timeoutMs / 60_000} min and was killed`);
    if (code !== 0) {
      const reason = existsSync(errorFile) ? readFileSync(errorFile, 'utf8').replace(/\s+/g, ' ').slice(0, 400) : 'its error is above';
      throw new Error(`${spec.phase} failed (exit ${code ?? signal}): ${reason}`);
    }
    const parsed = JSON.parse(readFileSync(spec.resultFile, 'utf8')) as Result;
    if (parsed.phase !== spec.phase) throw new Error(`${spec.phase} wrote a ${parsed.phase} result`);
    return parsed;
  })();
  return { result, terminate: () => child.kill('SIGTERM') };
}
