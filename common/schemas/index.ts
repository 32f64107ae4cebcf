export * from './src/alerts.js';
export * from './src/codec.js';
export * from './src/fast-data.js';
export * from './src/legacy.js';
export * from './src/messages.js';
export * from './src/names.js';
export * from './src/storage-api.js';
export * from './src/webapp-api.js';
