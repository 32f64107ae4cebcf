export * from './spool.js';
export type { SpoolRecord } from './record.js';
export { SpoolLockedError } from './cursor.js';
