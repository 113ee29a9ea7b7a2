import { randomBytes } from 'node:crypto';

/**
 * The broker the integration tier talks to: KAFKA_BROKERS (set by `npm test`, a compose stack or a
 * cluster). No fallback address: an integration tier that quietly skipped its broker could not fail.
 */
export function testKafkaBrokers(): string[] {
  const value = process.env['KAFKA_BROKERS'];
  if (value === undefined || value.trim() === '') {
    throw new Error('KAFKA_BROKERS is not set. Start a broker with `bash infra/kafka/start.sh` and run the tier with KAFKA_BROKERS=127.0.0.1:19092.');
  }
  return value.split(',').map((broker) => broker.trim());
}

/** A topic or group name no other test uses, so tests never share state. */
export function uniqueStreamName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}
