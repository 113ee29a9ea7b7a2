export * from './platform-config';
export * from './platform-event-stream';
export * from './configuration-doc';
