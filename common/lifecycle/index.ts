export * from './src/clock.js';
export * from './src/component.js';
export * from './src/component-group.js';
export * from './src/deadline.js';
export * from './src/errors.js';
export * from './src/http-close.js';
export * from './src/lifecycle.js';
export * from './src/run-service.js';
