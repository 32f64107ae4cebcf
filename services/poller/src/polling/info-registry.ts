import { createHash } from 'node:crypto';
import type { FieldInfo, Message } from '../../../../common/schemas/index.js';
import type { Collection, HostDescription, PluginDescription } from '../modules/types.js';
import { descriptionHash, hostInfoMessage, keptDescription, pluginInfoMessage } from './messages.js';
import { SELF_DESCRIPTION, SELF_PLUGIN } from './self-metrics.js';

interface Known {
  description: PluginDescription;
  hash: string;
  /** Hash last handed to the sink; a different one means the config changed. */
  published?: string;
}

/**
 * What the poller knows of every host and plugin its modules described, and which info
 * messages are due. Two schedules:
 * - hosts collected at the end of a poll are all refreshed together when the poll's
 *   refresh is due (`pollMessages`);
 * - hosts handed over in parts during a poll (central munin polling: one node as it
 *   finishes) are refreshed with their own part, each on its own phase of the refresh
 *   period (a hash of its host ID), so a poller of 1,000 nodes republishes about
 *   1/k of their 30,000 plugin infos per poll instead of all of them at once
 *   (`partMessages`).
 * Either way a new or changed description goes at the next chance.
 */
export class InfoRegistry {
  /** host ID -> plugin -> description. */
  private readonly plugins = new Map<string, Map<string, Known>>();
  private readonly hosts = new Map<string, { host: HostDescription; published: boolean }>();
  /** Hosts refreshed on their own schedule: time of their last refresh (phase-shifted at first). */
  private readonly ownSchedule = new Map<string, number>();

  constructor(
    private readonly self: HostDescription,
    private readonly refreshSeconds: number,
  ) {}

  remember(collection: Collection): void {
    for (const host of collection.hosts ?? []) {
      const existing = this.hosts.get(host.hostId);
      if (!existing || JSON.stringify(existing.host) !== JSON.stringify(host)) this.hosts.set(host.hostId, { host, published: false });
    }
    for (const description of collection.plugins ?? []) {
      const hostId = description.hostId ?? this.self.hostId;
      const { hostId: _ignored, ...rest } = description;
      const { description: kept, hash } = keptDescription(rest);
      const ofHost = this.pluginsOf(hostId);
      ofHost.set(description.plugin, { description: kept, hash, published: ofHost.get(description.plugin)?.published });
    }
  }

  /** The field types of a described plugin (what rates need), undefined if nobody described it. */
  fields(hostId: string, plugin: string): Record<string, FieldInfo> | undefined {
    return this.plugins.get(hostId)?.get(plugin)?.description.fields;
  }

  /**
   * Info messages at the end of a poll: on a refresh every host's and plugin's (hosts on
   * their own schedule aside), else the new and changed ones.
   */
  pollMessages(nowSeconds: number, refresh: boolean): Message[] {
    const selfHost = this.hosts.get(this.self.hostId);
    if (refresh || !selfHost) this.hosts.set(this.self.hostId, { host: this.self, published: false });
    const self = this.pluginsOf(this.self.hostId);
    if (!self.has(SELF_PLUGIN)) self.set(SELF_PLUGIN, { description: SELF_DESCRIPTION, hash: descriptionHash(SELF_DESCRIPTION) });
    const out: Message[] = [];
    for (const [hostId, entry] of this.hosts) {
      if ((refresh && !this.ownSchedule.has(hostId)) || !entry.published) out.push(hostInfoMessage(entry.host, nowSeconds));
    }
    for (const [hostId, ofHost] of this.plugins)
      this.pushPlugins(out, hostId, ofHost, refresh && !this.ownSchedule.has(hostId), nowSeconds);
    return out;
  }

  /**
   * Info messages for the hosts of a part handed over during a poll: all of a host's when
   * its own refresh is due, else its new and changed ones. Returns the hosts refreshed,
   * to pass to `markRefreshed` once the messages are spooled.
   */
  partMessages(hostIds: Iterable<string>, nowSeconds: number): { messages: Message[]; refreshed: string[] } {
    const messages: Message[] = [];
    const refreshed: string[] = [];
    for (const hostId of hostIds) {
      const last = this.ownSchedule.get(hostId);
      if (last === undefined) this.ownSchedule.set(hostId, nowSeconds - phaseOf(hostId, this.refreshSeconds));
      const due = last !== undefined && nowSeconds - last >= this.refreshSeconds;
      if (due) refreshed.push(hostId);
      const entry = this.hosts.get(hostId);
      if (entry && (due || !entry.published)) messages.push(hostInfoMessage(entry.host, nowSeconds));
      const ofHost = this.plugins.get(hostId);
      if (ofHost) this.pushPlugins(messages, hostId, ofHost, due, nowSeconds);
    }
    return { messages, refreshed };
  }

  markRefreshed(hostIds: readonly string[], nowSeconds: number): void {
    for (const hostId of hostIds) this.ownSchedule.set(hostId, nowSeconds);
  }

  /** Records what the sink accepted: an unpublished or changed info goes again until it is. */
  markPublished(messages: readonly Message[]): void {
    for (const message of messages) {
      if (message.kind === 'host') {
        const entry = this.hosts.get(message.hostId);
        if (entry) entry.published = true;
      } else if (message.kind === 'info') {
        const known = this.plugins.get(message.hostId)?.get(message.plugin);
        if (known) known.published = known.hash;
      }
    }
  }

  private pluginsOf(hostId: string): Map<string, Known> {
    let ofHost = this.plugins.get(hostId);
    if (!ofHost) {
      ofHost = new Map();
      this.plugins.set(hostId, ofHost);
    }
    return ofHost;
  }

  private pushPlugins(out: Message[], hostId: string, ofHost: Map<string, Known>, all: boolean, nowSeconds: number): void {
    for (const known of ofHost.values()) {
      if (all || known.published !== known.hash) out.push(pluginInfoMessage(hostId, known.description, nowSeconds));
    }
  }
}

/** A host's stable offset into the refresh period, so hosts seen together refresh apart. */
function phaseOf(hostId: string, refreshSeconds: number): number {
  return createHash('sha1').update(hostId).digest().readUInt32BE(0) % Math.max(1, refreshSeconds);
}
