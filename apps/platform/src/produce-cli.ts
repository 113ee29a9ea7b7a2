/**
 * Streams demo feature events into Kafka for the speed layer (KAFKA_BROKERS, FEATURE_EVENTS_TOPIC),
 * keyed by entity id, at a steady rate:
 *
 *   npm run produce -- [--count 10000] [--rate 1000] [--entities 1000000] [--seed 42]
 *
 * Each event carries fresh features of a demo customer (the ids of the demo source), event time
 * now. Prints what it sent; exits 2 on bad usage, 1 when Kafka refuses.
 */
import { parseArgs } from 'node:util';
import { churnFeatureEvents } from '@platform/demo-churn';
import { PlatformError } from '@platform/domain';
import { loadPlatformConfig, platformEventStream } from '@platform/platform-config';
import { pino } from 'pino';
import { runCommand } from './run-command';

const USAGE = 'usage: produce [--count N] [--rate EVENTS_PER_S] [--entities N] [--seed S]';
const SEND_BATCH = 500;

function positive(name: string, value: string | undefined, fallback: number): number {
  const parsed = value === undefined ? fallback : Number(value);
  if (!Number.isSafeInteger(parsed) || parsed <= 0) throw new Error(`--${name} must be a positive whole number, got ${JSON.stringify(value)}`);
  return parsed;
}

runCommand(async () => {
  let options: { count: number; rate: number; entities: number; seed: number };
  try {
    const { values } = parseArgs({ options: { count: { type: 'string' }, rate: { type: 'string' }, entities: { type: 'string' }, seed: { type: 'string' } } });
    options = {
      count: positive('count', values.count, 10_000),
      rate: positive('rate', values.rate, 1_000),
      entities: positive('entities', values.entities, 1_000_000),
      seed: positive('seed', values.seed, 42),
    };
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const config = loadPlatformConfig();
  const stream = platformEventStream(config, pino({ name: 'produce', level: 'warn' }, pino.destination(2)));
  if (stream === null) {
    process.stderr.write(`KAFKA_BROKERS is not set: the producer needs a broker\n${USAGE}\n`);
    return 2;
  }
  const producer = stream.createProducer();
  const startedAt = performance.now();
  let sent = 0;
  try {
    await producer.connect();
    while (sent < options.count) {
      const rows = Math.min(SEND_BATCH, options.count - sent);
      // Spread over the entities, so a long stream revisits customers as real traffic does.
      const start = (sent * 7_919) % Math.max(1, options.entities - rows);
      const events = churnFeatureEvents(options.seed, start, rows, Date.now());
      await producer.send(config.speed.topic, events.map((event) => ({ key: event.entityId, value: JSON.stringify(event) })));
      sent += rows;
      const aheadMs = (sent / options.rate) * 1000 - (performance.now() - startedAt);
      if (aheadMs > 0) await new Promise((resolve) => setTimeout(resolve, aheadMs));
    }
  } catch (error) {
    if (error instanceof PlatformError) {
      process.stderr.write(`${error.name}: ${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    await producer.disconnect();
  }
  const seconds = (performance.now() - startedAt) / 1000;
  process.stdout.write(`${JSON.stringify({ topic: config.speed.topic, sent, seconds: Number(seconds.toFixed(2)), eventsPerSecond: Math.round(sent / seconds) })}\n`);
  return 0;
});
