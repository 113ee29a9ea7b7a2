export * from './event-stream';
export * from './event-stream-errors';
export * from './event-stream-config';
export * from './event-stream-log';
export * from './commit-positions';
export * from './consumer-lag';
export { KafkaJsEventStream } from './kafkajs-event-stream';
export { InProcessEventStream } from './in-process-event-stream';
