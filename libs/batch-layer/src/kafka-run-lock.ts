import { type RunLease, type RunLock, RunInProgressError } from '@platform/batch-domain';
import { type EventStream, type EventStreamConsumer, type TopicPartitions } from '@platform/event-stream';

/** The control topic's only partition: whoever is assigned it holds the lease. */
const LEASE_PARTITION = 0;

/**
 * Models locked per client, whatever lock instance took them: a process shares one event stream,
 * so a second run there is refused without a rebalance that would disturb the holder. A separate
 * client counts as another process and is refused by the group instead.
 */
const heldByStream = new WeakMap<EventStream, Set<string>>();

function heldThrough(stream: EventStream): Set<string> {
  let held = heldByStream.get(stream);
  if (held === undefined) {
    held = new Set();
    heldByStream.set(stream, held);
  }
  return held;
}

/** Creates the one-partition control topic the lock's groups subscribe to; an existing topic is left as it is. */
export async function createRunLockTopic(stream: EventStream, topic: string): Promise<void> {
  const admin = stream.createAdmin();
  await admin.connect();
  try {
    await admin.createTopics([{ topic, partitions: 1 }]);
  } finally {
    await admin.disconnect();
  }
}

/**
 * The run lock when Kafka is configured: one consumer group per model on a one-partition control
 * topic, with exclusive assignment, so the member assigned the partition runs and a newcomer never
 * takes it over. The lease is lost when the partition moves away (the group dropped this member,
 * e.g. its session expired) or the consumer crashes; a member that dies without leaving holds it
 * until its session expires (`sessionTimeoutMs`). Nothing is ever produced to or committed on the
 * topic: membership is the lock.
 */
export class KafkaRunLock implements RunLock {
  constructor(
    private readonly stream: EventStream,
    private readonly controlTopic: string,
    private readonly groupIdPrefix: string,
  ) {}

  async acquire(model: string): Promise<RunLease> {
    const groupId = `${this.groupIdPrefix}.run-lock.${model}`;
    const held = heldThrough(this.stream);
    if (held.has(groupId)) {
      throw new RunInProgressError(`a run of model ${model} is already under way in this process (group "${groupId}")`);
    }
    held.add(groupId);
    try {
      const consumer = this.stream.createConsumer({ groupId, exclusive: true, autoOffsetReset: 'latest' });
      return await this.join(consumer, model, groupId, () => held.delete(groupId));
    } catch (error) {
      held.delete(groupId);
      throw error;
    }
  }

  private async join(
    consumer: EventStreamConsumer,
    model: string,
    groupId: string,
    forget: () => void,
  ): Promise<RunLease> {
    const lost = new AbortController();
    // Listening before run(): a crash or rebalance right after the first join must not go unseen.
    // On a refused join the first assignment aborts this controller too, which no one sees.
    const stopListening = [
      consumer.onAssignment((assignment) => {
        if (!this.holdsLease(assignment)) {
          lost.abort(`group "${groupId}" assigned partition ${LEASE_PARTITION} of ${this.controlTopic} to another member`);
        }
      }),
      consumer.onCrash((error) => {
        lost.abort(`the consumer of group "${groupId}" crashed: ${error.message}`);
      }),
    ];
    let firstAssignment: readonly TopicPartitions[];
    try {
      await consumer.connect();
      await consumer.subscribe([this.controlTopic]);
      // No message is ever handled: the control topic carries none, and the position is irrelevant.
      firstAssignment = await consumer.run(() => Promise.resolve());
    } catch (error) {
      await consumer.stop().catch(() => undefined); // the join failure is the error to report
      throw error;
    }
    if (!this.holdsLease(firstAssignment)) {
      await consumer.stop();
      throw new RunInProgressError(
        `a run of model ${model} is already under way: another member of group "${groupId}" holds partition ` +
          `${LEASE_PARTITION} of ${this.controlTopic} (retry once that run has ended)`,
      );
    }
    return {
      lost: lost.signal,
      release: async () => {
        for (const remove of stopListening) remove();
        try {
          // Leaving the group hands the partition on at once, not after the session timeout.
          await consumer.stop();
        } finally {
          forget();
        }
      },
    };
  }

  private holdsLease(assignment: readonly TopicPartitions[]): boolean {
    return assignment.some(({ topic, partitions }) => topic === this.controlTopic && partitions.includes(LEASE_PARTITION));
  }
}
