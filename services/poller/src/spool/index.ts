export { SpoolLockedError } from './cursor.js';
export type { SpoolRecord } from './record.js';
export * from './spool.js';
