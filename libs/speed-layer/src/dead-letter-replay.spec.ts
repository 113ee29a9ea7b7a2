import { InProcessEventStream } from '@platform/event-stream';
import { buildDeadLetterMessage, type DeadLetterReason, parseDeadLetterMessage } from '@platform/speed-domain';
import { deadLetterReplayGroup, inspectDeadLetters, replayDeadLetters, replayMessage, selectsDeadLetter } from './dead-letter-replay';

const DLQ = 'events.dlq';
const EVENTS = 'events';
const GROUP = deadLetterReplayGroup('speed-layer');

function letter(offset: number, reason: DeadLetterReason, value: Buffer | null = Buffer.from(`{"n":${offset}}`)) {
  return buildDeadLetterMessage(
    { topic: EVENTS, partition: 0, offset: String(offset), key: Buffer.from(`entity-${offset}`), value, headers: { trace: `t${offset}` } },
    { reason, detail: `detail ${offset}` },
    1_700_000_000_000,
  );
}

async function streamWith(partitions: number, letters: ReturnType<typeof letter>[]): Promise<InProcessEventStream> {
  const stream = new InProcessEventStream();
  const admin = stream.createAdmin();
  await admin.createTopics([
    { topic: DLQ, partitions },
    { topic: EVENTS, partitions: 1 },
  ]);
  await stream.createProducer().send(DLQ, letters);
  return stream;
}

async function sent(stream: InProcessEventStream): Promise<{ key: string | null; value: string; headers: Record<string, string> }[]> {
  const [partition] = await stream.createAdmin().fetchTopicOffsets(EVENTS);
  const received: { key: string | null; value: string; headers: Record<string, string> }[] = [];
  if (partition === undefined || partition.end === '0') return received;
  const consumer = stream.createConsumer({ groupId: `reader-${Math.random()}` });
  await consumer.subscribe([EVENTS]);
  await new Promise<void>((resolve) => {
    void consumer.run(async ({ messages }) => {
      for (const message of messages) received.push({ key: message.key?.toString() ?? null, value: message.value?.toString() ?? '', headers: { ...message.headers } });
      if (received.length >= Number(partition.end)) resolve();
    });
  });
  await consumer.stop();
  return received;
}

const replayOptions = { deadLetterTopic: DLQ, replayGroupId: GROUP, targetTopic: EVENTS, selection: {}, dryRun: false };

describe('selectsDeadLetter', () => {
  const at = (partition: number, offset: string) => ({ partition, offset });

  it('selects every letter when nothing is given (an empty reason set included)', () => {
    expect(selectsDeadLetter({}, at(3, '99'), { reason: 'schema' })).toBe(true);
    expect(selectsDeadLetter({ reasons: new Set() }, at(0, '0'), { reason: 'schema' })).toBe(true);
  });

  it('filters by reason, partition and an inclusive offset range (int64 offsets compared exactly)', () => {
    const selection = { reasons: new Set<DeadLetterReason>(['unknown-model']), partition: 1, fromOffset: 10n, toOffset: 9_007_199_254_740_993n };
    expect(selectsDeadLetter(selection, at(1, '10'), { reason: 'unknown-model' })).toBe(true);
    expect(selectsDeadLetter(selection, at(1, '9007199254740993'), { reason: 'unknown-model' })).toBe(true);
    expect(selectsDeadLetter(selection, at(1, '9007199254740994'), { reason: 'unknown-model' })).toBe(false);
    expect(selectsDeadLetter(selection, at(1, '9'), { reason: 'unknown-model' })).toBe(false);
    expect(selectsDeadLetter(selection, at(0, '10'), { reason: 'unknown-model' })).toBe(false);
    expect(selectsDeadLetter(selection, at(1, '10'), { reason: 'schema' })).toBe(false);
  });
});

describe('replayMessage', () => {
  it('is the original key, value bytes and headers without the dlq-* ones; a tombstone has none', () => {
    const bytes = Buffer.from([0xff, 0x00, 0x7b]);
    const message = replayMessage(parseDeadLetterMessage(letter(4, 'not-json', bytes)));
    expect(message).toEqual({ key: Buffer.from('entity-4'), value: bytes, headers: { trace: 't4' } });
    expect(replayMessage(parseDeadLetterMessage(letter(5, 'empty', null)))).toBeNull();
  });
});

describe('replayDeadLetters', () => {
  it('re-publishes the selected letters once: its group commits as it goes, a second replay sends nothing new', async () => {
    const stream = await streamWith(1, [letter(0, 'unknown-model'), letter(1, 'schema'), letter(2, 'unknown-model'), letter(3, 'empty', null)]);
    const first = await replayDeadLetters(stream, { ...replayOptions, selection: { reasons: new Set<DeadLetterReason>(['unknown-model', 'empty']) } });
    expect(first).toMatchObject({ read: 4, replayed: 2, passedOver: 1, tombstones: 1, unreadable: 0, replayedByReason: { 'unknown-model': 2 } });
    expect(first.committed).toEqual([{ topic: DLQ, partition: 0, offset: '4' }]);
    expect(await sent(stream)).toEqual([
      { key: 'entity-0', value: '{"n":0}', headers: { trace: 't0' } },
      { key: 'entity-2', value: '{"n":2}', headers: { trace: 't2' } },
    ]);

    const second = await replayDeadLetters(stream, replayOptions);
    expect(second).toMatchObject({ read: 0, replayed: 0, committed: [{ topic: DLQ, partition: 0, offset: '4' }] });

    // A letter dead-lettered later (e.g. a replayed event that failed again) waits for the next replay.
    await stream.createProducer().send(DLQ, [letter(9, 'schema'), { key: null, value: 'not a letter', headers: {} }]);
    const third = await replayDeadLetters(stream, replayOptions);
    expect(third).toMatchObject({ read: 2, replayed: 1, unreadable: 1, committed: [{ topic: DLQ, partition: 0, offset: '6' }] });
    expect((await sent(stream)).map(({ key }) => key)).toEqual(['entity-0', 'entity-2', 'entity-9']);
  });

  it('sends and commits nothing in a dry run, and counts what it would send from the group offsets on', async () => {
    const stream = await streamWith(1, [letter(0, 'unknown-model'), letter(1, 'schema')]);
    await replayDeadLetters(stream, { ...replayOptions, selection: { toOffset: 0n } });
    const dryRun = await replayDeadLetters(stream, { ...replayOptions, dryRun: true });
    expect(dryRun).toMatchObject({ dryRun: true, read: 1, replayed: 1, replayedByReason: { schema: 1 }, committed: [{ topic: DLQ, partition: 0, offset: '1' }] });
    expect((await stream.createAdmin().fetchCommittedOffsets(GROUP, DLQ))[0]?.offset).toBe('1');
    expect(await sent(stream)).toHaveLength(1);
  });

  it('never reads, so never passes over, letters past the last offset or of other partitions', async () => {
    // Null keys spread the letters over the two partitions in turn: offsets 0 and 1 on each.
    const letters = [letter(0, 'schema'), letter(1, 'schema'), letter(2, 'schema'), letter(3, 'schema')].map((message) => ({ ...message, key: null }));
    const stream = await streamWith(2, letters);
    const replay = await replayDeadLetters(stream, { ...replayOptions, selection: { partition: 1, toOffset: 0n } });
    expect(replay).toMatchObject({ read: 1, replayed: 1, committed: [{ topic: DLQ, partition: 1, offset: '1' }] });
    expect(await replayDeadLetters(stream, replayOptions)).toMatchObject({ read: 3, replayed: 3 });
  });

  it('refuses a second replay running in the same group', async () => {
    const stream = await streamWith(1, [letter(0, 'schema')]);
    const holder = stream.createConsumer({ groupId: GROUP });
    await holder.subscribe([DLQ]);
    await holder.run(async () => undefined);
    await expect(replayDeadLetters(stream, replayOptions)).rejects.toThrow(/one member per group/);
    await holder.stop();
  });
});

describe('inspectDeadLetters', () => {
  it('counts every letter and the pending ones by reason, lists the first matches, and commits nothing', async () => {
    const stream = await streamWith(1, [letter(0, 'unknown-model'), letter(1, 'schema'), letter(2, 'unknown-model'), letter(3, 'unknown-model')]);
    await stream.createProducer().send(DLQ, [{ key: 'k', value: 'not a letter', headers: {} }]);
    await replayDeadLetters(stream, { ...replayOptions, selection: { toOffset: 1n } });
    const inspection = await inspectDeadLetters(stream, { deadLetterTopic: DLQ, replayGroupId: GROUP, selection: { reasons: new Set<DeadLetterReason>(['unknown-model']) }, limit: 2 });
    expect(inspection).toMatchObject({
      byReason: { 'unknown-model': 3, schema: 1 },
      pendingByReason: { 'unknown-model': 2 },
      matched: 3,
      partitions: [{ partition: 0, earliest: '0', end: '5', replayedUpTo: '2' }],
    });
    expect(inspection.unreadable).toEqual([{ partition: 0, offset: '4', error: expect.stringMatching(/not a dead-letter\/v1 message/) }]);
    expect(inspection.samples).toEqual([
      {
        partition: 0,
        offset: '0',
        reason: 'unknown-model',
        detail: 'detail 0',
        source: { topic: EVENTS, partition: 0, offset: '0' },
        failedAt: 1_700_000_000_000,
        key: 'entity-0',
        valuePreview: '{"n":0}',
        valueBytes: 7,
      },
      expect.objectContaining({ offset: '2' }),
    ]);
    expect((await stream.createAdmin().fetchCommittedOffsets(GROUP, DLQ))[0]?.offset).toBe('2');
  });
});
