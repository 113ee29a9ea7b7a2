/**
 * A run-lock holder in its own process (kafka-run-lock.integration-spec.ts): takes the model's
 * Kafka run lock, prints "held", then
 *   hold:     waits to be killed (SIGKILL: it never leaves the group);
 *   stall:    blocks its event loop for <stall-ms> (no heartbeats, as under a long synchronous step),
 *             then waits up to 20 s for its lease to be lost and prints "lost <reason>" or "kept".
 *   node -r @swc-node/register kafka-lock-holder-child.ts <brokers> <topic> <group-prefix> <model> <hold|stall> [stall-ms]
 */
import { createEventStreamConfig, KafkaJsEventStream } from '@platform/event-stream';
import { KafkaRunLock } from '../kafka-run-lock';

async function main(): Promise<void> {
  const [brokers, topic, prefix, model, mode, stallMs] = process.argv.slice(2);
  const stream = new KafkaJsEventStream(
    createEventStreamConfig({
      clientId: 'run-lock-child',
      brokers: brokers!.split(','),
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 500,
      fetchMaxWaitMs: 200,
      retry: { initialRetryTimeMs: 100, maxRetryTimeMs: 1_000, retries: 3 },
      // stdout carries the protocol lines; the client's own complaints go to stderr.
      log: ({ level, message }) => void process.stderr.write(`${level}: ${message}\n`),
    }),
  );
  const lease = await new KafkaRunLock(stream, topic!, prefix!).acquire(model!);
  process.stdout.write('held\n');
  if (mode === 'hold') {
    setInterval(() => undefined, 60_000);
    return;
  }
  const until = Date.now() + Number(stallMs);
  while (Date.now() < until) {
    // Busy-wait: nothing else runs, not even kafkajs's heartbeats.
  }
  const deadline = Date.now() + 20_000;
  while (!lease.lost.aborted && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  process.stdout.write(lease.lost.aborted ? `lost ${String(lease.lost.reason)}\n` : 'kept\n');
  await lease.release();
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});
