import type { Logger } from '../../../../../common/logging/index.js';
import type { Collection, CollectRequest, ModuleContext, PluginDescription, PollerModule, Sample } from '../types.js';
import { describeSection } from './describe.js';
import { type ParsedValue, parseResponse } from './parse.js';
import { MuninNodeError, MuninSession, type SessionOptions } from './session.js';

export interface MuninModuleOptions extends SessionOptions {
  /** Plugins whose name matches (anchored at the start, as the original's re.match). */
  pluginsEnable: RegExp;
  /** New connections allowed in one poll after a broken session. */
  maxReconnects: number;
  logger: Logger;
  now: () => number;
}

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

  constructor(private readonly options: MuninModuleOptions) {}

  stats(): Record<string, number> {
    return { ...this.counters };
  }

  async collect(_request: CollectRequest): Promise<Collection> {
    this.counters.polls++;
    const collection: Required<Pick<Collection, 'plugins' | 'samples' | 'errors'>> = { plugins: [], samples: [], errors: [] };
    let session = await this.openSession();
    try {
      const plugins = (await session.list()).filter((plugin) => this.options.pluginsEnable.test(plugin));
      let reconnects = 0;
      for (const plugin of plugins) {
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
      session.close();
    }
    return collection;
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

  private async pollPlugin(
    session: MuninSession,
    plugin: string,
    out: Required<Pick<Collection, 'plugins' | 'samples' | 'errors'>>,
  ): Promise<void> {
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
      const fetchedAt = this.options.now();
      const descriptions = new Map<string, PluginDescription>();
      for (const section of parsedConfig.sections.values()) descriptions.set(section.name, describeSection(section));
      for (const section of values.sections.values()) {
        const description = descriptions.get(section.name);
        if (!description) {
          out.errors.push(`${plugin}: values for graph ${section.name} that its config does not describe; ignored`);
          continue;
        }
        for (const { field } of section.values) description.fields[field] ??= { label: field, type: 'GAUGE' };
        out.samples.push(...samplesOf(section.name, section.values, fetchedAt));
      }
      out.plugins.push(...descriptions.values());
    } catch (error) {
      if (!(error instanceof MuninNodeError)) throw error;
      this.pluginError(out, `${plugin}: ${error.message}`);
    }
  }

  private pluginError(out: { errors: string[] }, message: string): void {
    this.counters.pluginErrors++;
    out.errors.push(message);
  }
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

/** `[MuninModule]` keys: see docs/poller.md. */
export function createMuninModule(context: ModuleContext, settings: MuninSettings): MuninModule {
  return new MuninModule({
    host: settings.munin_host,
    port: settings.munin_port,
    connectTimeoutMs: settings.connect_timeout * 1000,
    readTimeoutMs: settings.read_timeout * 1000,
    maxLineLength: settings.max_line_length,
    maxLines: settings.max_lines,
    pluginsEnable: settings.plugins_enable,
    maxReconnects: 3,
    logger: context.logger,
    now: context.now,
  });
}

export interface MuninSettings {
  munin_host: string;
  munin_port: number;
  plugins_enable: RegExp;
  connect_timeout: number;
  read_timeout: number;
  max_line_length: number;
  max_lines: number;
}
