export { SpoolLockedError } from './cursor.js';
export * from './options.js';
export type { RecordRoute, SpoolRecord } from './record.js';
export * from './spool.js';
