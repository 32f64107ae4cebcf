import { join } from 'node:path';

/**
 * What one stack is made of. `npm start` uses the defaults below (the state under
 * `.numeter/` of the checkout); the end-to-end tests pass test ports, a test vhost, a
 * Redis key prefix, a database and unique names, and go through the same code.
 */
export interface StorageSpec {
  /** `[global] storage_name`: also the queue `numeter.storage.<name>` and the webapp's storage name. */
  name: string;
  apiPort: number;
  /** Host IDs this storage takes (its host-list file); empty = every host. */
  hostList?: string[];
  /** Extra INI keys, e.g. `{ cache: { flush_interval_ms: '20' } }`. */
  extra?: Record<string, Record<string, string>>;
}

export interface PollerSpec {
  /** Short name (log file, state dir). */
  name: string;
  /** `[MyInfo] host_id`; empty = generated once and kept in the poller's state dir. */
  hostId?: string;
  hostName?: string;
  pollerTime: number;
  /** `[global] modules`, e.g. `system` or `munin|system`. */
  modules: string;
  muninPort?: number;
  /** Its broker URL when not the stack's (the tests put a TCP proxy in between). */
  amqpUrl?: string;
  extra?: Record<string, Record<string, string>>;
}

export interface StackOptions {
  /** The checkout: dist/ entry points are under it. */
  root: string;
  /** Configs, logs, secrets, `.wsp` files, poller spools. */
  stateDir: string;
  amqpUrl: string;
  redis: { host: string; port: number; db: number; prefix: string };
  database: { host: string; port: number; name: string; adminUser: string; adminPassword: string; appUser?: string };
  webappPort: number;
  storages: StorageSpec[];
  pollers: PollerSpec[];
  /** carbon storage-schemas.conf retentions for every series, e.g. `15s:1d,1m:30d`; empty = the storage default. */
  retentions?: string;
  adminUsername: string;
  /** Progress lines ("[3/9] starting storage…"). */
  progress: (line: string) => void;
  /** Run populate once more when the first data points arrived (plugins then exist). */
  populateAfterFirstData?: boolean;
  /** How long to wait for each service to answer. */
  startTimeoutMs?: number;
}

export function entryPoint(root: string, service: 'storage' | 'webapp' | 'poller'): string {
  return join(root, 'dist', 'services', service, 'src', 'main.js');
}

export function storageDir(options: StackOptions, storage: StorageSpec): string {
  return join(options.stateDir, 'storage', storage.name);
}

export function pollerDir(options: StackOptions, poller: PollerSpec): string {
  return join(options.stateDir, 'poller', poller.name);
}

export function configDir(options: StackOptions): string {
  return join(options.stateDir, 'config');
}

export function logDir(options: StackOptions): string {
  return join(options.stateDir, 'logs');
}

/** Preloaded into every service: stops it when the stack process is gone (see parent-watch.mjs). */
export function parentWatch(root: string): string {
  return join(root, 'deploy', 'local', 'stack', 'parent-watch.mjs');
}
