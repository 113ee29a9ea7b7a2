import { type ConsumedMessage } from './event-stream';
import { EventStreamRequestError, TopicNotFoundError } from './event-stream-errors';
import { InProcessEventStream } from './in-process-event-stream';

const until = async (done: () => boolean) => {
  const deadline = Date.now() + 2_000;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
};

describe('InProcessEventStream', () => {
  it('delivers per partition in order, keeps a key on one partition, and resumes a group at its commit', async () => {
    const stream = new InProcessEventStream();
    await stream.createAdmin().createTopics([{ topic: 'events', partitions: 3 }]);
    const producer = stream.createProducer();
    await producer.send('events', Array.from({ length: 30 }, (_, id) => ({ key: `k${id % 5}`, value: `v${id}` })));

    const seen: ConsumedMessage[] = [];
    const first = stream.createConsumer({ groupId: 'g' });
    await first.subscribe(['events']);
    expect(await first.run(async ({ messages }) => void seen.push(...messages))).toEqual([{ topic: 'events', partitions: [0, 1, 2] }]);
    await until(() => seen.length === 30);
    const partitionsOfKey = new Map<string, Set<number>>();
    for (const message of seen) partitionsOfKey.set(message.key!.toString(), (partitionsOfKey.get(message.key!.toString()) ?? new Set()).add(message.partition));
    expect([...partitionsOfKey.values()].every((partitions) => partitions.size === 1)).toBe(true);
    const valuesOfK0 = seen.filter((message) => message.key!.toString() === 'k0').map((message) => message.value!.toString());
    expect(valuesOfK0).toEqual(['v0', 'v5', 'v10', 'v15', 'v20', 'v25']);

    // Commit only k0's partition fully; a new member of the group re-reads the rest.
    const k0Partition = seen.find((message) => message.key!.toString() === 'k0')!.partition;
    const k0End = seen.filter((message) => message.partition === k0Partition).length;
    await first.commit([{ topic: 'events', partition: k0Partition, offset: String(k0End) }]);
    await first.stop();
    const again: ConsumedMessage[] = [];
    const second = stream.createConsumer({ groupId: 'g' });
    await second.subscribe(['events']);
    await second.run(async ({ messages }) => void again.push(...messages));
    await until(() => again.length === 30 - k0End);
    expect(again.every((message) => message.partition !== k0Partition)).toBe(true);
    expect(await stream.createAdmin().fetchCommittedOffsets('g', 'events')).toContainEqual({ partition: k0Partition, offset: String(k0End) });
    await second.stop();
  });

  it('holds a paused partition back, refuses a second member, an unknown topic, and waits for the commit of what it sent', async () => {
    const stream = new InProcessEventStream();
    await stream.createAdmin().createTopics([{ topic: 'events', partitions: 1 }]);
    await expect(stream.createProducer().send('nope', [{ key: null, value: 'x' }])).rejects.toBeInstanceOf(TopicNotFoundError);
    const consumer = stream.createConsumer({ groupId: 'g' });
    await consumer.subscribe(['events']);
    let handled = 0;
    await consumer.run(async ({ messages }) => {
      handled += messages.length;
      await consumer.commit([{ topic: 'events', partition: 0, offset: String(Number(messages.at(-1)!.offset) + 1) }]);
    });
    const rival = stream.createConsumer({ groupId: 'g' });
    await rival.subscribe(['events']);
    await expect(rival.run(async () => undefined)).rejects.toBeInstanceOf(EventStreamRequestError);

    consumer.pause([{ topic: 'events', partitions: [0] }]);
    await stream.createProducer().send('events', [{ key: 'a', value: '1' }]);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(handled).toBe(0);
    consumer.resume([{ topic: 'events', partitions: [0] }]);
    await stream.sendUntilCommitted('g', 'events', [{ key: 'b', value: '2' }, { key: 'c', value: '3' }]);
    expect(handled).toBe(3);
    expect(await stream.createAdmin().fetchTopicOffsets('events')).toEqual([{ partition: 0, earliest: '0', end: '3' }]);
    await consumer.stop();
  });

  it('moves a member to the offset it seeks to, and refuses a partition it was not assigned', async () => {
    const stream = new InProcessEventStream();
    await stream.createAdmin().createTopics([{ topic: 'events', partitions: 1 }]);
    const producer = stream.createProducer();
    await producer.send('events', [{ key: 'a', value: '0' }, { key: 'a', value: '1' }, { key: 'a', value: '2' }]);
    const consumer = stream.createConsumer({ groupId: 'g' });
    await consumer.subscribe(['events']);
    const seen: string[] = [];
    await consumer.run(async ({ messages }) => {
      seen.push(...messages.map((message) => message.value!.toString()));
    });
    consumer.seek({ topic: 'events', partition: 0, offset: '3' });
    expect(() => consumer.seek({ topic: 'events', partition: 1, offset: '0' })).toThrow(EventStreamRequestError);
    await producer.send('events', [{ key: 'a', value: '3' }]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    consumer.seek({ topic: 'events', partition: 0, offset: '1' });
    await new Promise((resolve) => setTimeout(resolve, 150));
    // The seek to the end skips nothing sent after it; a seek back reads again.
    expect(seen).toEqual(['0', '1', '2', '3', '1', '2', '3']);
    await consumer.stop();
  });
});
