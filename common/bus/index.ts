export * from './src/connection.js';
export * from './src/consumer.js';
export * from './src/declare.js';
export * from './src/defaults.js';
export * from './src/errors.js';
export * from './src/publisher.js';
export * from './src/topology.js';
