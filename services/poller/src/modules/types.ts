import type { Deadline } from '../../../../common/lifecycle/index.js';
import type { Logger } from '../../../../common/logging/index.js';
import type { FieldInfo, Message } from '../../../../common/schemas/index.js';

/**
 * The contract between the poller core and every source of metrics (munin-node, the
 * built-in system module, custom modules, and later libvirt/SNMP/latency modules).
 *
 * A module describes plugins (graphs) and returns samples; the core turns DERIVE,
 * COUNTER and ABSOLUTE fields into rates (modules return raw counters), validates,
 * and builds the v1 messages. A module may speak for other machines (a VM, a device
 * behind a PDU): it sets `hostId` on its descriptions/samples and announces those
 * hosts in `hosts`.
 */

/** One graph, as munin's `config` describes it. Field names are keys of `fields`. */
export interface PluginDescription {
  plugin: string;
  /** Host the plugin belongs to; the poller's own host ID when absent. */
  hostId?: string;
  title: string;
  vlabel?: string;
  base?: 1000 | 1024;
  category?: string;
  order?: string[];
  info?: string;
  /** Other graph_* attributes verbatim, without the `graph_` prefix (args, period, scale...). */
  graph?: Record<string, string>;
  fields: Record<string, FieldInfo>;
}

/** Values of one plugin at one time. Raw counters for DERIVE/COUNTER/ABSOLUTE fields. */
export interface Sample {
  plugin: string;
  hostId?: string;
  /** Seconds since the epoch; the poll's time when absent. */
  timestamp?: number;
  /** null = unknown (munin's `U`). */
  values: Record<string, number | null>;
}

/** Another machine a module publishes for. */
export interface HostDescription {
  hostId: string;
  name: string;
  description?: string;
  /** Where the host is grouped at its source (a Munin group). */
  group?: string;
}

export interface CollectRequest {
  /** Seconds since the epoch at the start of the poll. */
  nowSeconds: number;
  /**
   * The core is about to publish plugin info (refresh due). Modules whose descriptions
   * are expensive may return them only then; cheap ones return them every time, which
   * lets the core notice a changed config between refreshes.
   */
  wantInfo: boolean;
  /**
   * Hands over part of this poll's collection now, for a module that polls many sources
   * (central munin polling: one node as it finishes): the core publishes each part at
   * once, so a poll never holds every source's samples and infos together. Parts are
   * published in order; the promise settles when the part is spooled (never rejects),
   * which paces the module. What `collect` returns is published at the end as usual.
   */
  deliver?: (part: Collection) => Promise<void>;
}

export interface Collection {
  plugins?: PluginDescription[];
  hosts?: HostDescription[];
  samples: Sample[];
  /** Per-plugin problems that did not stop the module (logged and counted by the core). */
  errors?: string[];
}

export interface PollerModule {
  readonly name: string;
  /**
   * Modules that receive data by themselves (carbon, StatsD listeners) start listening
   * here, after the pipeline started; a failed start leaves nothing open.
   */
  start?(): Promise<void>;
  collect(request: CollectRequest): Promise<Collection>;
  /**
   * Releases sockets/handles by the deadline, what is left of the poller's whole stop
   * (a module past it is left behind and the poller exits anyway); idempotent.
   */
  stop?(deadline: Deadline): Promise<void>;
  /** Monotonic counters for the log and self-metrics. */
  stats?(): Record<string, number>;
}

/** What a module factory receives. */
export interface ModuleContext {
  /** The module's own INI section (keys lower-cased), after environment overrides. */
  config: Record<string, string>;
  /** The whole INI document, for modules that read several sections. */
  ini: Record<string, Record<string, string>>;
  /** The poller's own host ID. */
  hostId: string;
  /** A directory the module may keep state in (created by the core). */
  stateDir: string;
  logger: Logger;
  /** Seconds since the epoch. */
  nowSeconds: () => number;
  /**
   * The pipeline's sink (spool, or standard output with --simulate), for modules that
   * receive data by themselves and flush it on their own schedule. They hand over
   * messages they validated against common/schemas.
   */
  publish?: (messages: Message[]) => Promise<void>;
}

/**
 * The simple custom-module shape (the original Numeter's getInfo/getData): a module
 * file may export `createModule(context)` returning either a `PollerModule` or this.
 */
export interface SimpleModule {
  name?: string;
  getInfo?():
    | PluginDescription[]
    | { plugins: PluginDescription[]; hosts?: HostDescription[] }
    | Promise<PluginDescription[] | { plugins: PluginDescription[]; hosts?: HostDescription[] }>;
  getData(): Sample[] | Promise<Sample[]>;
  stop?(): void | Promise<void>;
}
