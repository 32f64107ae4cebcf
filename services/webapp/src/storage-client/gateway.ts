import type { DataResponse, LegacyHostInfo, LegacyPluginInfo } from '../../../../common/schemas/index.js';
import type { Host, Storage } from '../repos/index.js';
import type { StorageRepo } from '../repos/storages.js';
import { type DataQuery, newStorageCounters, StorageClient, type StorageCounters } from './client.js';
import { HostNotOnAnyStorageError, StorageError } from './errors.js';
import { NO_RETRY, type RetryPolicy } from './retry.js';

export interface GatewayOptions {
  timeoutMs: number;
  /** How long the merged `/hosts` answers are reused to find the storage of a host. */
  hostsCacheMs: number;
  now?: () => number;
  /** How pages and the API wait out a 429/503 (short: a person is waiting); none when absent. */
  retry?: RetryPolicy;
}

/**
 * Every storage at once: a host is asked on its own storage (`host.storageId`), or, when it has
 * none, on the first storage whose `/hosts` lists it. Errors are the typed ones of `errors.ts`.
 */
export class StorageGateway {
  private hostsCache: { at: number; owners: Map<string, number> } | null = null;
  private readonly now: () => number;
  readonly counters: StorageCounters = newStorageCounters();

  constructor(
    private readonly storages: StorageRepo,
    private readonly options: GatewayOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** A client of one storage; `retry` overrides the gateway's policy (populate waits longer than a page). */
  clientFor(storage: Storage, retry: RetryPolicy = this.options.retry ?? NO_RETRY): StorageClient {
    return new StorageClient(storage, this.options.timeoutMs, this.counters, undefined, retry);
  }

  async getHostInfo(host: Host): Promise<LegacyHostInfo> {
    return (await this.clientOf(host)).getHostInfo(host.hostid);
  }
  async getPluginList(host: Host): Promise<Record<string, LegacyPluginInfo>> {
    return (await this.clientOf(host)).getPluginList(host.hostid);
  }
  async getPluginInfo(host: Host, plugin: string): Promise<LegacyPluginInfo> {
    return (await this.clientOf(host)).getPluginInfo(host.hostid, plugin);
  }
  async getData(host: Host, plugin: string, ds: readonly string[], query: DataQuery): Promise<DataResponse> {
    return (await this.clientOf(host)).getData(host.hostid, plugin, ds, query);
  }

  /**
   * `/hosts` of every storage, merged (first storage wins on duplicates). A storage that fails is
   * reported in `failures` and the others still answer.
   */
  async allHosts(): Promise<{ hosts: Map<string, { storage: Storage; info: LegacyHostInfo }>; failures: StorageError[] }> {
    const storages = await this.storages.all();
    const answers = await Promise.allSettled(storages.map((s) => this.clientFor(s).getHosts()));
    const hosts = new Map<string, { storage: Storage; info: LegacyHostInfo }>();
    const failures: StorageError[] = [];
    answers.forEach((answer, i) => {
      if (answer.status === 'rejected') {
        failures.push(answer.reason instanceof StorageError ? answer.reason : new StorageError(String(answer.reason), storages[i].name));
        return;
      }
      for (const [hostid, info] of Object.entries(answer.value)) if (!hosts.has(hostid)) hosts.set(hostid, { storage: storages[i], info });
    });
    this.hostsCache = { at: this.now(), owners: new Map([...hosts].map(([hostid, h]) => [hostid, h.storage.id])) };
    return { hosts, failures };
  }

  /** The storage that has this host: its own, else the first whose `/hosts` lists it. */
  async whichStorage(hostid: string): Promise<Storage | null> {
    if (!this.hostsCache || this.now() - this.hostsCache.at > this.options.hostsCacheMs) await this.allHosts();
    const id = this.hostsCache?.owners.get(hostid);
    return id === undefined ? null : this.storages.get(id);
  }

  private async clientOf(host: Host): Promise<StorageClient> {
    const storage = (host.storageId !== null ? await this.storages.get(host.storageId) : null) ?? (await this.whichStorage(host.hostid));
    if (!storage) throw new HostNotOnAnyStorageError(host.hostid);
    return this.clientFor(storage);
  }
}
