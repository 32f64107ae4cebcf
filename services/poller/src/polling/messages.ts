import { createHash } from 'node:crypto';
import {
  type DataPoint,
  describeIssues,
  type HostInfoMessage,
  LIMITS,
  type Message,
  Message as MessageSchema,
  type PluginInfoMessage,
} from '../../../../common/schemas/index.js';
import type { HostDescription, PluginDescription } from '../modules/types.js';

/** Builds and checks v1 messages (common/schemas) from what modules described. */
export const AGENT_VERSION = 'numeter-poller/0.1.0';

export function hostInfoMessage(host: HostDescription, timestamp: number): HostInfoMessage {
  return {
    v: 1,
    kind: 'host',
    hostId: host.hostId,
    timestamp,
    name: host.name,
    description: host.description ?? '',
    agentVersion: AGENT_VERSION,
    ...(host.group !== undefined && { group: host.group }),
  };
}

export function pluginInfoMessage(hostId: string, description: PluginDescription, timestamp: number): PluginInfoMessage {
  return {
    v: 1,
    kind: 'info',
    hostId,
    plugin: description.plugin,
    timestamp,
    title: description.title,
    vlabel: description.vlabel ?? '',
    base: description.base ?? 1000,
    category: description.category ?? 'other',
    order: description.order ?? [],
    info: description.info ?? '',
    ...(description.graph && Object.keys(description.graph).length > 0 && { graph: description.graph }),
    fields: description.fields,
  };
}

/**
 * Data messages for one host: several plugins' points per message, at most
 * `maxPoints` points and about half the byte limit each, so one message never
 * approaches the broker's or the consumer's limit. `sizeOf` gives a point's encoded size,
 * or a bound of it (a listener module spooling 200,000 values/s passes a cheap one).
 */
export function dataMessages(
  hostId: string,
  points: DataPoint[],
  maxPoints: number,
  sizeOf: (point: DataPoint) => number = (point) => JSON.stringify(point).length,
): Message[] {
  const out: Message[] = [];
  const byteBudget = LIMITS.maxMessageBytes / 2;
  let batch: DataPoint[] = [];
  let bytes = 0;
  for (const point of points) {
    const size = sizeOf(point);
    if (batch.length && (batch.length >= maxPoints || bytes + size > byteBudget)) {
      out.push({ v: 1, kind: 'data', hostId, points: batch });
      batch = [];
      bytes = 0;
    }
    batch.push(point);
    bytes += size;
  }
  if (batch.length) out.push({ v: 1, kind: 'data', hostId, points: batch });
  return out;
}

/** null when valid, else the problems (field paths and messages). */
export function messageProblem(message: Message): string | null {
  const parsed = MessageSchema.safeParse(message);
  return parsed.success ? null : describeIssues(parsed.error.issues);
}

/** A fingerprint of a plugin's description, to notice a changed config between refreshes. */
export function descriptionHash(description: PluginDescription): string {
  return createHash('sha1').update(JSON.stringify(description)).digest('hex');
}

/**
 * The description to keep, with its fingerprint: a copy made of fresh strings. A module's
 * description holds slices of the text it was parsed from (a whole munin `config` answer
 * per plugin), which would otherwise stay alive as long as the poller knows the plugin:
 * 8 MB of a central poller of 1,000 nodes.
 */
export function keptDescription(description: PluginDescription): { description: PluginDescription; hash: string } {
  const json = JSON.stringify(description);
  return { description: JSON.parse(json) as PluginDescription, hash: createHash('sha1').update(json).digest('hex') };
}
