import type { Logger } from '../../../../../common/logging/index.js';
import type { MuninGraphOverride } from '../../../../../common/munin/index.js';
import type { Collection, CollectRequest, HostDescription, PluginDescription, PollerModule, Sample } from '../types.js';
import { MuninModule } from './module.js';
import type { SessionOptions } from './session.js';

/**
 * Central polling, as a Munin master does: every munin-node of a list, each as its own
 * numeter host (its samples, plugin infos and host info carry that host ID, so its
 * messages are routed by it). At most `maxParallel` nodes are polled at once; each has
 * a deadline, so a node that is down, slow or talks garbage delays no other: it is
 * reported (log, and its own `munin_node_poll` plugin) and the rest is published.
 */
export interface CentralNode {
  hostId: string;
  /** The Munin host name. */
  name: string;
  group: string;
  address: string;
  port: number;
  /** `list` with the name the node announces instead of `name` (munin.conf use_node_name). */
  useNodeName: boolean;
  /** munin.conf's graph overrides for this host, laid over its plugins' config. */
  graphOverrides?: MuninGraphOverride[];
}

export interface MuninCentralOptions {
  nodes: readonly CentralNode[];
  /** Asked at each poll for a new node list (munin.conf re-read); absent = a fixed list. */
  reload?: { check(): CentralNode[] | null; stop(): void };
  /** The local munin-node (`munin_host`), published as the poller's own host; absent = none. */
  local?: MuninModule;
  session: Omit<SessionOptions, 'host' | 'port'>;
  pluginsEnable: RegExp;
  maxReconnects: number;
  maxParallel: number;
  nodeTimeoutMs: number;
  logger: Logger;
  nowSeconds: () => number;
}

export const NODE_POLL_PLUGIN = 'munin_node_poll';

export const NODE_POLL_DESCRIPTION: Omit<PluginDescription, 'hostId'> = {
  plugin: NODE_POLL_PLUGIN,
  title: 'Munin node polling',
  vlabel: 'per poll',
  category: 'numeter',
  order: ['duration', 'errors', 'plugins', 'since_success', 'last_success'],
  info: "How the central numeter poller's last poll of this munin-node went.",
  fields: {
    duration: { label: 'poll duration (s)', type: 'GAUGE', min: 0 },
    errors: { label: 'errors', type: 'GAUGE', min: 0, info: 'Plugin errors, protocol problems, a failed connection or the deadline' },
    plugins: { label: 'graphs polled', type: 'GAUGE', min: 0 },
    since_success: { label: 'since the last success (s)', type: 'GAUGE', min: 0 },
    last_success: { label: 'last success (epoch s)', type: 'GAUGE', min: 0, graph: false },
  },
};

interface NodeState {
  node: CentralNode;
  poller: MuninModule;
  busy: boolean;
  lastSuccess: number | null;
  /** Whether the node's own polling plugin was described (the core keeps descriptions). */
  described: boolean;
}

export class MuninCentralModule implements PollerModule {
  readonly name = 'munin';
  private states: NodeState[];
  private readonly counters = { polls: 0, nodePolls: 0, nodeFailures: 0, nodeDeadlines: 0, nodesBusy: 0, nodesAdded: 0, nodesRemoved: 0 };

  constructor(private readonly options: MuninCentralOptions) {
    this.states = options.nodes.map((node) => this.stateFor(node));
  }

  /** The nodes polled, in order. */
  nodes(): CentralNode[] {
    return this.states.map((state) => state.node);
  }

  /**
   * Polls these nodes from the next poll on. A node whose settings are unchanged keeps its
   * state (last success, what was described; a poll still running goes on); a removed
   * node is no longer polled nor published.
   */
  setNodes(nodes: readonly CentralNode[]): void {
    const current = new Map(this.states.map((state) => [state.node.hostId, state]));
    const next = nodes.map((node) => {
      const kept = current.get(node.hostId);
      return kept && sameNode(kept.node, node) ? kept : this.stateFor(node);
    });
    const kept = new Set(next);
    const removed = this.states.filter((state) => !kept.has(state)).length;
    const added = next.filter((state) => current.get(state.node.hostId) !== state).length;
    this.counters.nodesAdded += added;
    this.counters.nodesRemoved += removed;
    this.states = next;
    this.options.logger.info({ nodes: next.length, added, removed }, 'munin node list changed');
  }

  private stateFor(node: CentralNode): NodeState {
    return { node, poller: this.pollerFor(node), busy: false, lastSuccess: null, described: false };
  }

  stats(): Record<string, number> {
    return { ...this.counters, nodes: this.states.length };
  }

  /**
   * Polls the local node and every listed node. With the core's `deliver`, each node's
   * collection is handed over as soon as that node is done, and dropped here: a poll holds
   * the samples and infos of at most `maxParallel` nodes, not of all of them. Without it
   * (a caller of its own), everything is returned together.
   */
  async collect(request: CollectRequest): Promise<Collection> {
    this.counters.polls++;
    const reloaded = this.options.reload?.check();
    if (reloaded) this.setNodes(reloaded);
    const out: Required<Collection> = { plugins: [], hosts: [], samples: [], errors: [] };
    const hand =
      request.deliver ??
      (async (part: Collection) => {
        merge(out, part);
        out.errors.push(...(part.errors ?? []));
      });
    const local = this.options.local ? this.pollLocal(this.options.local, request, out) : Promise.resolve();
    await Promise.all([local, forEachBounded(this.states, this.options.maxParallel, async (state) => hand(await this.pollNode(state)))]);
    return out;
  }

  async stop(): Promise<void> {
    this.options.reload?.stop();
  }

  private async pollLocal(local: MuninModule, request: CollectRequest, out: Required<Collection>): Promise<void> {
    try {
      const collection = await local.collect(request);
      merge(out, collection);
      out.errors.push(...(collection.errors ?? []));
    } catch (error) {
      out.errors.push(`local munin-node: ${(error as Error).message}`);
    }
  }

  /** One node's poll: its host, what it gathered, its `munin_node_poll` sample and problems. */
  private async pollNode(state: NodeState): Promise<Required<Collection>> {
    const { node } = state;
    const part: Required<Collection> = { plugins: [], hosts: [hostOf(node)], samples: [], errors: [] };
    if (!state.described) {
      state.described = true;
      part.plugins.push({ ...NODE_POLL_DESCRIPTION, hostId: node.hostId });
    }
    const started = this.options.nowSeconds();
    const problems: string[] = [];
    let polled: Collection | null = null;
    if (state.busy) {
      this.counters.nodesBusy++;
      problems.push('still busy with an earlier poll; skipped');
    } else {
      this.counters.nodePolls++;
      const result = await this.pollWithDeadline(state, problems);
      polled = result.collection;
      if (polled && !result.late) state.lastSuccess = Math.floor(this.options.nowSeconds());
    }
    const graphs = new Set(polled?.samples.map((sample) => sample.plugin)).size;
    if (polled) {
      merge(part, polled);
      problems.push(...(polled.errors ?? []));
    } else {
      this.counters.nodeFailures++;
    }
    part.samples.push(this.healthSample(state, started, problems.length, graphs));
    for (const problem of problems) part.errors.push(`${node.name}: ${problem}`);
    return part;
  }

  private healthSample(state: NodeState, started: number, errors: number, graphs: number): Sample {
    const now = this.options.nowSeconds();
    return {
      plugin: NODE_POLL_PLUGIN,
      hostId: state.node.hostId,
      timestamp: Math.floor(started),
      values: {
        duration: Math.round((now - started) * 1000) / 1000,
        errors,
        plugins: graphs,
        since_success: state.lastSuccess === null ? null : Math.max(0, Math.floor(now) - state.lastSuccess),
        last_success: state.lastSuccess,
      },
    };
  }

  /**
   * The node's poll, abandoned at the deadline: its session is closed (what it gathered
   * is kept), and a node stuck before its session opened frees its slot while its own
   * connect/read timeouts finish it in the background (it is skipped until then).
   */
  private async pollWithDeadline(state: NodeState, problems: string[]): Promise<{ collection: Collection | null; late: boolean }> {
    const controller = new AbortController();
    state.busy = true;
    const poll = state.poller.poll(controller.signal).finally(() => {
      state.busy = false;
    });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), this.options.nodeTimeoutMs);
    });
    try {
      const first = await Promise.race([poll, deadline]);
      if (first !== 'deadline') return { collection: first, late: false };
      this.counters.nodeDeadlines++;
      controller.abort();
      // Closing the session makes a running poll return at once with what it has.
      const late = await Promise.race([poll, new Promise<null>((resolve) => setImmediate(() => resolve(null)))]);
      problems.push(`deadline of ${this.options.nodeTimeoutMs} ms reached`);
      return { collection: late, late: true };
    } catch (error) {
      problems.push((error as Error).message);
      return { collection: null, late: false };
    } finally {
      clearTimeout(timer);
      poll.catch(() => {}); // a late failure after the deadline was already reported
    }
  }

  private pollerFor(node: CentralNode): MuninModule {
    return new MuninModule({
      ...this.options.session,
      host: node.address,
      port: node.port,
      pluginsEnable: this.options.pluginsEnable,
      maxReconnects: this.options.maxReconnects,
      logger: this.options.logger.child({ node: node.name }),
      nowSeconds: this.options.nowSeconds,
      hostId: node.hostId,
      listNode: node.useNodeName ? 'banner' : node.name,
      ...(node.graphOverrides && { graphOverrides: node.graphOverrides }),
      // The core keeps descriptions and republishes them: only new or changed ones go again.
      describeChangedOnly: true,
    });
  }
}

function sameNode(a: CentralNode, b: CentralNode): boolean {
  const same = a.name === b.name && a.group === b.group && a.address === b.address && a.port === b.port && a.useNodeName === b.useNodeName;
  return same && JSON.stringify(a.graphOverrides ?? []) === JSON.stringify(b.graphOverrides ?? []);
}

function hostOf(node: CentralNode): HostDescription {
  return { hostId: node.hostId, name: node.name, description: `Munin node ${node.name} (group ${node.group})`, group: node.group };
}

/** Appends `from`'s hosts, plugins and samples to `out` (errors are the caller's to word). */
function merge(out: Required<Collection>, from: Collection): void {
  for (const host of from.hosts ?? []) out.hosts.push(host);
  for (const plugin of from.plugins ?? []) out.plugins.push(plugin);
  for (const sample of from.samples) out.samples.push(sample);
}

/** Runs `fn` over `items` with at most `limit` running at once. */
export async function forEachBounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
