export * from './platform-config';
export * from './platform-event-stream';
