export * from './platform-error';
export * from './entity-id';
export * from './utf8-order';
export * from './predictions';
export * from './serving-pointer';
export * from './batch-run';
export * from './feature-event';
export * from './merge-rule';
