import { EventStreamUnavailableError, type AssignmentListener, type ConsumerCrashListener, type EventStream, type EventStreamConsumer } from '@platform/event-stream';
import { BrokerHealth } from './broker-health';

/** A consumer that only records its listeners, so the test can play joins and crashes. */
function fakeStream(): { stream: EventStream; join: () => void; crash: (restarting: boolean) => void } {
  const assignments: AssignmentListener[] = [];
  const crashes: ConsumerCrashListener[] = [];
  const consumer = {
    onAssignment: (listener: AssignmentListener) => {
      assignments.push(listener);
      return () => undefined;
    },
    onCrash: (listener: ConsumerCrashListener) => {
      crashes.push(listener);
      return () => undefined;
    },
  } as unknown as EventStreamConsumer;
  const unused = (): never => {
    throw new Error('not used');
  };
  return {
    stream: { createAdmin: unused, createProducer: unused, createConsumer: () => consumer },
    join: () => assignments.forEach((listener) => listener([{ topic: 'features', partitions: [0, 1] }])),
    crash: (restarting) => crashes.forEach((listener) => listener(new EventStreamUnavailableError('connection refused', { operation: 'consume', groupId: 'speed' }), restarting)),
  };
}

describe('BrokerHealth', () => {
  it('is not ready until the consumer joins, then ready while the broker answers', () => {
    const health = new BrokerHealth();
    const { stream, join } = fakeStream();
    health.following(stream).createConsumer({ groupId: 'speed' });
    expect(health.notReadyReason()).toMatch(/not joined/);

    join();
    health.adminAnswered();
    expect(health.notReadyReason()).toBeNull();
  });

  it('turns not ready with the reasons during a broker outage and ready again after it', () => {
    const health = new BrokerHealth();
    const { stream, join, crash } = fakeStream();
    health.following(stream).createConsumer({ groupId: 'speed' });
    join();

    health.adminFailed(new EventStreamUnavailableError('Connection error: connect ECONNREFUSED 127.0.0.1:19092', { operation: 'fetch topic offsets', topic: 'features' }));
    expect(health.notReadyReason()).toMatch(/^the broker did not answer: fetch topic offsets failed \(topic "features"\): Connection error/);
    crash(true);
    expect(health.notReadyReason()).toMatch(/rejoining: consume failed \(group "speed"\): connection refused; the broker did not answer/);

    join();
    expect(health.notReadyReason()).toMatch(/^the broker did not answer/);
    health.adminAnswered();
    expect(health.notReadyReason()).toBeNull();
  });

  it('stays not ready after a crash the consumer does not restart from', () => {
    const health = new BrokerHealth();
    const { stream, join, crash } = fakeStream();
    health.following(stream).createConsumer({ groupId: 'speed' });
    join();
    health.adminAnswered();
    crash(false);
    expect(health.notReadyReason()).toMatch(/^the consumer stopped: /);
  });
});
