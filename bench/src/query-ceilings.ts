import { ClickHouseEngine, sql } from '@platform/clickhouse-store';
import Fastify from 'fastify';

/**
 * The two ceilings of `npm run bench -- query-latency`, each in a process of its own (started by
 * it): `node query-ceilings.ts map <port> <entities>` answers from a Map built in memory (this
 * machine's HTTP floor: fastify, JSON, loopback, nothing else); `node query-ceilings.ts clickhouse
 * <port> <url> <database>` answers each request with one ClickHouse point query by primary key on
 * the run's rows (the cheapest question a query-per-request design asks; the merged view costs far
 * more, since its join reads the whole run).
 */
async function main(): Promise<void> {
  const [kind, portText, ...rest] = process.argv.slice(2);
  const port = Number(portText);
  const app = Fastify({ logger: false });
  if (kind === 'map') {
    const entities = Number(rest[0]);
    const answers = new Map<string, { entityId: string; source: string; outputs: number[]; runId: string }>();
    for (let k = 0; k < entities; k++) answers.set(`customer-${k}`, { entityId: `customer-${k}`, source: 'batch', outputs: [(k % 1000) / 1000], runId: 'run-1' });
    app.get<{ Params: { id: string } }>('/predictions/:id', (request, reply) => {
      const answer = answers.get(request.params.id);
      if (answer === undefined) return reply.code(404).send({ error: 'unknown' });
      return answer;
    });
  } else if (kind === 'clickhouse') {
    const [url, database] = rest;
    const engine = await ClickHouseEngine.open({ kind: 'server', url: url!, database: database! });
    const table = engine.table('batch_predictions');
    app.get<{ Params: { id: string } }>('/predictions/:id', async (request, reply) => {
      const [answer] = await engine.queryRows<{ entity_id: string; outputs: number[] }>(
        sql`SELECT entity_id, outputs FROM ${table} WHERE model = 'churn' AND entity_id = ${request.params.id} AND run_id = 'run-1'`,
        'point query',
      );
      if (answer === undefined) return reply.code(404).send({ error: 'unknown' });
      return answer;
    });
  } else {
    throw new Error(`usage: query-ceilings.ts map <port> <entities> | clickhouse <port> <url> <database>; got ${kind}`);
  }
  await app.listen({ host: '127.0.0.1', port });
  process.stdout.write('listening\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
