import { InvalidDeploymentError, parseDeployments, sourceColumnOf } from './deployment';

describe('parseDeployments', () => {
  it('fills defaults for a minimal deployment', () => {
    const [deployment] = parseDeployments([{ model: 'churn', source: { kind: 'snapshot', table: 'churn_features' } }], 'test');
    expect(deployment).toEqual({
      model: 'churn',
      source: { kind: 'snapshot', table: 'churn_features' },
      entityKey: 'entity_id',
      eventTimeColumn: 'updated_at',
      columns: {},
      dataCutoff: 'max-event-time',
      schedule: '0 * * * *',
      segmentColumns: [],
      verification: {},
      errorThreshold: 0,
      runsToKeep: 3,
      chunkRows: 65_536,
      pipelineDepth: 2,
      snapshotShardRows: 1_000_000,
    });
    expect(sourceColumnOf(deployment!, 'tenure_months')).toBe('tenure_months');
  });

  it('maps renamed columns', () => {
    const [deployment] = parseDeployments(
      [{ model: 'churn', source: { kind: 'table', table: 't' }, columns: { tenure_months: 'tenure' } }],
      'test',
    );
    expect(sourceColumnOf(deployment!, 'tenure_months')).toBe('tenure');
  });

  it.each([
    ['an unknown source kind', { source: { kind: 'kafka' } }, /source/],
    ['a column name that is not an identifier', { columns: { x: 'a; DROP TABLE t' } }, /SQL identifier/],
    ['an error threshold over 1', { errorThreshold: 1.5 }, /errorThreshold/],
    ['a cron with four fields', { schedule: '* * * *' }, /five-field cron/],
    ['keeping no runs', { runsToKeep: 0 }, /runsToKeep/],
  ])('refuses %s, naming the field', (_label, change, message) => {
    const parse = (): unknown =>
      parseDeployments([{ model: 'churn', source: { kind: 'snapshot', table: 'churn_features' }, ...change }], 'deployments.json');
    expect(parse).toThrow(InvalidDeploymentError);
    expect(parse).toThrow(message);
  });

  it('refuses two deployments of one model', () => {
    const deployment = { model: 'churn', source: { kind: 'snapshot', table: 'churn_features' } };
    expect(() => parseDeployments([deployment, deployment], 'deployments.json')).toThrow(/deploy model churn twice/);
  });
});
