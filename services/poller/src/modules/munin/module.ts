import { createHash } from 'node:crypto';
import type { Logger } from '../../../../../common/logging/index.js';
import { applyGraphOverrides, describeSection, type MuninGraphOverride, overridesByPlugin } from '../../../../../common/munin/index.js';
import type { Collection, CollectRequest, PluginDescription, PollerModule, Sample } from '../types.js';
import { type ParsedResponse, type ParsedValue, parseResponse } from './parse.js';
import { MuninNodeError, MuninSession, type SessionOptions } from './session.js';

export interface MuninModuleOptions extends SessionOptions {
  /** Plugins whose name matches (anchored at the start, as the original's re.match). */
  pluginsEnable: RegExp;
  /** New connections allowed in one poll after a broken session. */
  maxReconnects: number;
  logger: Logger;
  nowSeconds: () => number;
  /** The host the node's plugins and samples belong to; the poller's own when absent. */
  hostId?: string;
  /**
   * Node name sent with `list`, as Munin's master does for `[host]` sections: the
   * configured host name, or `banner` for the name the node announces (use_node_name).
   * Absent: a bare `list` (the node's own plugins).
   */
  listNode?: string;
  /**
   * Hand over a plugin's descriptions only when its config (value lines aside) changed
   * since the last poll: the core keeps and republishes them, and a central poller of
   * 1,000 nodes would otherwise build 30,000 descriptions at every poll for nothing.
   */
  describeChangedOnly?: boolean;
  /** munin.conf's graph overrides for this node (central polling), laid over each plugin's config. */
  graphOverrides?: readonly MuninGraphOverride[];
}

const VALUE_LINE = /^[^.]+\.value\s/;

type Gathered = Required<Pick<Collection, 'plugins' | 'samples' | 'errors'>>;

/**
 * Polls a munin-node: one connection per poll cycle, `cap multigraph dirtyconfig`,
 * `list`, then `config` for every enabled plugin and `fetch` unless the config already
 * carried values (dirtyconfig). Each multigraph section becomes its own plugin. A
 * plugin that fails (`# Bad exit`, `# Timed out`, garbage, a timeout) is reported and
 * the others go on, on a new connection if the old one broke.
 */
export class MuninModule implements PollerModule {
  readonly name = 'munin';
  private readonly counters = { polls: 0, connectFailures: 0, pluginErrors: 0, protocolProblems: 0, reconnects: 0 };
  /** Fingerprint of each plugin's last config described (describeChangedOnly). */
  private readonly configPrints = new Map<string, string>();
  private readonly overrides: Map<string, MuninGraphOverride[]>;

  constructor(private readonly options: MuninModuleOptions) {
    this.overrides = overridesByPlugin(options.graphOverrides ?? []);
  }

  stats(): Record<string, number> {
    return { ...this.counters };
  }

  collect(_request: CollectRequest): Promise<Collection> {
    return this.poll();
  }

  /**
   * One poll of the node. An aborted signal closes the session at once: what was
   * gathered so far is returned with an error saying so (a central poller's per-node
   * deadline).
   */
  async poll(signal?: AbortSignal): Promise<Collection> {
    this.counters.polls++;
    const collection: Gathered = { plugins: [], samples: [], errors: [] };
    let session = await this.openSession();
    const abort = () => session.close();
    signal?.addEventListener('abort', abort);
    try {
      const plugins = (await session.list(this.listName(session))).filter((plugin) => this.options.pluginsEnable.test(plugin));
      let reconnects = 0;
      for (const [index, plugin] of plugins.entries()) {
        if (signal?.aborted) {
          collection.errors.push(`deadline reached; ${plugins.length - index} plugins not polled`);
          break;
        }
        if (session.broken) {
          if (reconnects >= this.options.maxReconnects) {
            collection.errors.push(`${plugin}: skipped, the node broke ${reconnects + 1} sessions in this poll`);
            continue;
          }
          reconnects++;
          this.counters.reconnects++;
          session = await this.openSession();
        }
        await this.pollPlugin(session, plugin, collection);
      }
    } finally {
      signal?.removeEventListener('abort', abort);
      session.close();
    }
    if (this.options.hostId !== undefined) tagHost(collection, this.options.hostId);
    return collection;
  }

  private listName(session: MuninSession): string | undefined {
    if (this.options.listNode === 'banner') return session.nodeName;
    return this.options.listNode;
  }

  private async openSession(): Promise<MuninSession> {
    try {
      const session = await MuninSession.open(this.options);
      await session.cap(['multigraph', 'dirtyconfig']);
      return session;
    } catch (error) {
      this.counters.connectFailures++;
      throw error;
    }
  }

  private async pollPlugin(session: MuninSession, plugin: string, out: Gathered): Promise<void> {
    try {
      const config = await session.config(plugin);
      if (!config.ok) return this.pluginError(out, `${plugin}: config: ${config.error}`);
      const parsedConfig = parseResponse(plugin, config.lines);
      const dirty = [...parsedConfig.sections.values()].some((section) => section.values.length > 0);
      let values = parsedConfig;
      if (!dirty) {
        const fetched = await session.fetch(plugin);
        if (!fetched.ok) this.pluginError(out, `${plugin}: fetch: ${fetched.error}`);
        values = fetched.ok ? parseResponse(plugin, fetched.lines, 'fetch') : { sections: new Map(), problems: [] };
      }
      for (const problem of [...parsedConfig.problems, ...(dirty ? [] : values.problems)]) {
        this.counters.protocolProblems++;
        out.errors.push(`${plugin}: ${problem}`);
      }
      const fetchedAt = this.options.nowSeconds();
      const describe = this.configChanged(plugin, config.lines, values);
      const descriptions = new Map<string, PluginDescription>();
      if (describe)
        for (const section of parsedConfig.sections.values()) {
          applyGraphOverrides(section, this.overrides.get(section.name));
          descriptions.set(section.name, describeSection(section));
        }
      for (const section of values.sections.values()) {
        if (!parsedConfig.sections.has(section.name)) {
          out.errors.push(`${plugin}: values for graph ${section.name} that its config does not describe; ignored`);
          continue;
        }
        const description = descriptions.get(section.name);
        if (description) for (const { field } of section.values) description.fields[field] ??= { label: field, type: 'GAUGE' };
        out.samples.push(...samplesOf(section.name, section.values, fetchedAt));
      }
      // Fresh strings: the parsed ones are slices of the whole config answer, which would stay
      // alive with the description until the end of a central poll (12 MB at 1,000 nodes).
      for (const description of descriptions.values()) out.plugins.push(JSON.parse(JSON.stringify(description)) as PluginDescription);
    } catch (error) {
      if (!(error instanceof MuninNodeError)) throw error;
      this.pluginError(out, `${plugin}: ${error.message}`);
    }
  }

  /**
   * Whether the plugin's descriptions must be handed over: always, unless
   * describeChangedOnly and its config lines (value lines aside) and the fields that had
   * values (an undescribed one becomes a GAUGE field) are those of the last poll.
   */
  private configChanged(plugin: string, lines: readonly string[], values: ParsedResponse): boolean {
    if (!this.options.describeChangedOnly) return true;
    const hash = createHash('sha1');
    for (const line of lines) if (!VALUE_LINE.test(line)) hash.update(line).update('\n');
    for (const section of values.sections.values()) for (const { field } of section.values) hash.update(`\0${section.name}.${field}`);
    const print = hash.digest('base64');
    if (this.configPrints.get(plugin) === print) return false;
    this.configPrints.set(plugin, print);
    return true;
  }

  private pluginError(out: { errors: string[] }, message: string): void {
    this.counters.pluginErrors++;
    out.errors.push(message);
  }
}

function tagHost(collection: Gathered, hostId: string): void {
  for (const plugin of collection.plugins) plugin.hostId = hostId;
  for (const sample of collection.samples) sample.hostId = hostId;
}

/** Groups a section's values by timestamp: `EPOCH:VALUE` lines may carry their own. */
export function samplesOf(plugin: string, values: readonly ParsedValue[], now: number): Sample[] {
  const byTime = new Map<number, Record<string, number | null>>();
  for (const { field, value, timestamp } of values) {
    const time = timestamp ?? now;
    const bucket = byTime.get(time) ?? {};
    byTime.set(time, bucket);
    bucket[field] = value;
  }
  return [...byTime].sort((a, b) => a[0] - b[0]).map(([timestamp, bucket]) => ({ plugin, timestamp, values: bucket }));
}
