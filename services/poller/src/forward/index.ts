export * from './forwarder.js';
export { RateMeter } from './rate.js';
