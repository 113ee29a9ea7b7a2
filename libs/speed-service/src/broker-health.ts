import { type EventStream, type EventStreamConsumer } from '@platform/event-stream';

/**
 * Whether the speed layer is connected to Kafka, for readiness: its consumer is in the group (joined,
 * and not crashed since) and the last admin request (SpeedMonitor's lag reading) was answered.
 * A broker outage shows as both failing; each recovers on its own (kafkajs rejoins after a
 * retriable crash, the next poll succeeds), and readiness with it.
 */
export class BrokerHealth {
  private membership: string | null = 'the consumer has not joined its group yet';
  private lastAdminFailure: string | null = null;

  /** The same stream, except that the consumers it creates report their group membership here. */
  following(stream: EventStream): EventStream {
    return {
      createAdmin: () => stream.createAdmin(),
      createProducer: () => stream.createProducer(),
      createConsumer: (options) => this.follow(stream.createConsumer(options)),
    };
  }

  private follow(consumer: EventStreamConsumer): EventStreamConsumer {
    consumer.onAssignment(() => {
      this.membership = null;
    });
    consumer.onCrash((error, restarting) => {
      this.membership = restarting ? `the consumer left its group and is rejoining: ${error.message}` : `the consumer stopped: ${error.message}`;
    });
    return consumer;
  }

  adminAnswered(): void {
    this.lastAdminFailure = null;
  }

  adminFailed(error: unknown): void {
    this.lastAdminFailure = `the broker did not answer: ${error instanceof Error ? error.message : String(error)}`;
  }

  /** Null when connected, else why not (both reasons when both hold). */
  notReadyReason(): string | null {
    const reasons = [this.membership, this.lastAdminFailure].filter((reason) => reason !== null);
    return reasons.length === 0 ? null : reasons.join('; ');
  }
}
