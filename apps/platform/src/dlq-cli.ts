/**
 * Inspects and replays the speed layer's dead letters (KAFKA_BROKERS, DEAD_LETTER_TOPIC,
 * FEATURE_EVENTS_TOPIC, SPEED_GROUP_ID):
 *
 *   npm run dlq -- inspect [--reason R]... [--partition P] [--from-offset N] [--to-offset N] [--limit 20]
 *   npm run dlq -- replay  [--reason R]... [--partition P] [--from-offset N] [--to-offset N] [--dry-run]
 *
 * Offsets are the letters' offsets in the dead-letter topic, as `inspect` lists them. `replay`
 * re-publishes the original key, bytes and headers to the feature-events topic and commits the
 * offsets of its own consumer group (`<SPEED_GROUP_ID>.dlq-replay`) as it goes, so a letter is never
 * replayed twice by that group. Prints JSON; exits 2 on bad usage, 1 when Kafka fails.
 */
import { parseArgs } from 'node:util';
import { PlatformError } from '@platform/domain';
import { loadPlatformConfig, platformEventStream } from '@platform/platform-config';
import { DEAD_LETTER_REASONS, type DeadLetterReason } from '@platform/speed-domain';
import { type DeadLetterSelection, deadLetterReplayGroup, inspectDeadLetters, replayDeadLetters } from '@platform/speed-layer';
import { pino } from 'pino';
import { runCommand } from './run-command';

const USAGE = [
  'usage: dlq inspect [--reason R]... [--partition P] [--from-offset N] [--to-offset N] [--limit N]',
  '       dlq replay  [--reason R]... [--partition P] [--from-offset N] [--to-offset N] [--dry-run]',
  `reasons: ${DEAD_LETTER_REASONS.join(', ')}`,
].join('\n');

class UsageError extends Error {}

function wholeNumber(name: string, value: string | undefined): bigint | undefined {
  if (value === undefined) return undefined;
  if (!/^(0|[1-9]\d*)$/.test(value)) throw new UsageError(`--${name} must be a non-negative whole number, got ${JSON.stringify(value)}`);
  return BigInt(value);
}

function reasons(values: readonly string[] | undefined): ReadonlySet<DeadLetterReason> | undefined {
  if (values === undefined) return undefined;
  const known = new Set<string>(DEAD_LETTER_REASONS);
  const given = values.flatMap((value) => value.split(','));
  const unknown = given.filter((reason) => !known.has(reason));
  if (unknown.length > 0) throw new UsageError(`unknown --reason ${unknown.map((reason) => JSON.stringify(reason)).join(', ')}`);
  return new Set(given as DeadLetterReason[]);
}

interface Command {
  readonly action: 'inspect' | 'replay';
  readonly selection: DeadLetterSelection;
  readonly limit: number;
  readonly dryRun: boolean;
}

function parseCommand(args: readonly string[]): Command {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      reason: { type: 'string', multiple: true },
      partition: { type: 'string' },
      'from-offset': { type: 'string' },
      'to-offset': { type: 'string' },
      limit: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
    },
  });
  const [action, ...extra] = positionals;
  if ((action !== 'inspect' && action !== 'replay') || extra.length > 0) throw new UsageError(`expected inspect or replay, got ${JSON.stringify(positionals.join(' '))}`);
  if (action === 'inspect' && values['dry-run']) throw new UsageError('--dry-run is for replay (inspect never sends or commits)');
  if (action === 'replay' && values.limit !== undefined) throw new UsageError('--limit is for inspect');
  const partition = wholeNumber('partition', values.partition);
  const fromOffset = wholeNumber('from-offset', values['from-offset']);
  const toOffset = wholeNumber('to-offset', values['to-offset']);
  if (fromOffset !== undefined && toOffset !== undefined && fromOffset > toOffset) throw new UsageError('--from-offset is past --to-offset');
  const reasonSet = reasons(values.reason);
  const limit = wholeNumber('limit', values.limit) ?? 20n;
  if (limit > 10_000n) throw new UsageError('--limit is at most 10000');
  return {
    action,
    selection: {
      ...(reasonSet === undefined ? {} : { reasons: reasonSet }),
      ...(partition === undefined ? {} : { partition: Number(partition) }),
      ...(fromOffset === undefined ? {} : { fromOffset }),
      ...(toOffset === undefined ? {} : { toOffset }),
    },
    limit: Number(limit),
    dryRun: values['dry-run'],
  };
}

runCommand(async () => {
  let command: Command;
  try {
    command = parseCommand(process.argv.slice(2));
  } catch (error) {
    // parseArgs throws TypeErrors with codes for unknown or malformed options.
    if (!(error instanceof UsageError) && !(error instanceof TypeError)) throw error;
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    return 2;
  }
  const config = loadPlatformConfig();
  const stream = platformEventStream(config, pino({ name: 'dlq', level: 'warn' }, pino.destination(2)));
  if (stream === null) {
    process.stderr.write(`KAFKA_BROKERS is not set: the dead-letter topic is on a broker\n${USAGE}\n`);
    return 2;
  }
  const topics = { deadLetterTopic: config.speed.deadLetterTopic, replayGroupId: deadLetterReplayGroup(config.speed.groupId) };
  try {
    if (command.action === 'inspect') {
      const inspection = await inspectDeadLetters(stream, { ...topics, selection: command.selection, limit: command.limit });
      process.stdout.write(`${JSON.stringify(inspection, null, 2)}\n`);
      return 0;
    }
    const replay = await replayDeadLetters(stream, { ...topics, targetTopic: config.speed.topic, selection: command.selection, dryRun: command.dryRun });
    process.stdout.write(`${JSON.stringify(replay, null, 2)}\n`);
    process.stderr.write(
      replay.dryRun
        ? `dry run: ${replay.replayed} letters would be re-published to ${replay.targetTopic}; nothing sent, no offsets committed\n`
        : `re-published ${replay.replayed} letters to ${replay.targetTopic}; group ${replay.replayGroupId} committed its offsets on ${replay.topic} as it went` +
            ` (${replay.passedOver + replay.tombstones + replay.unreadable} letters read but not selected or not replayable are passed over for good in this group)\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof PlatformError) {
      process.stderr.write(`${error.name}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
});
