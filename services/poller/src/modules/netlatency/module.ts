import { isIP } from 'node:net';
import type { FieldInfo } from '../../../../../common/schemas/index.js';
import { StableFieldNames } from '../libvirt/stable-names.js';
import type { Collection, CollectRequest, ModuleContext, PluginDescription, PollerModule, Sample } from '../types.js';
import { PingUnavailableError, type ProbeResult, probeIcmp, probeTcp } from './probes.js';

export class NetLatencyConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NetLatencyConfigError';
  }
}

export interface Peer {
  /** As written in the config (`peer.<name>`): the label. */
  name: string;
  field: string;
  host: string;
  port: number;
}

export interface NetLatencySettings {
  peers: Peer[];
  attempts: number;
  timeoutMs: number;
  icmp: 'auto' | 'yes' | 'no';
  ping: string;
}

/**
 * `[NetLatencyModule]`: `peer.<name> = host` or `host:port` (`[v6]:port`), `tcp_port`
 * (default 22), `attempts` per poll, `timeout` (seconds per probe), `icmp` (auto, yes,
 * no), `ping` (binary). All problems are reported together.
 */
export function parseNetLatencySettings(section: Record<string, string>): NetLatencySettings {
  const problems: string[] = [];
  const number = (key: string, fallback: string, ok: (n: number) => boolean, what: string) => {
    const value = Number(section[key] ?? fallback);
    if (!ok(value)) problems.push(`${key} ${JSON.stringify(section[key])} is not ${what}`);
    return value;
  };
  const defaultPort = number('tcp_port', '22', (n) => Number.isInteger(n) && n > 0 && n < 65536, 'a TCP port');
  const attempts = number('attempts', '3', (n) => Number.isInteger(n) && n >= 1 && n <= 10, 'a whole number in 1..10');
  const timeout = number('timeout', '1', (n) => n > 0 && n <= 10, 'a number of seconds in (0, 10]');
  const icmp = (section.icmp ?? 'auto').toLowerCase();
  if (icmp !== 'auto' && icmp !== 'yes' && icmp !== 'no') problems.push(`icmp ${JSON.stringify(section.icmp)} is not auto, yes or no`);
  const raw: Array<Omit<Peer, 'field'>> = [];
  for (const [key, value] of Object.entries(section)) {
    const match = /^peer\.(.+)$/.exec(key);
    if (!match) continue;
    const target = parseTarget(value.trim(), defaultPort);
    if (!target) problems.push(`${key}: ${JSON.stringify(value)} is not host, host:port or [v6 address]:port`);
    else raw.push({ name: match[1].slice(0, 256), ...target });
  }
  if (raw.length === 0) problems.push('no peer.<name> = host[:port] line: nothing to measure');
  if (problems.length) throw new NetLatencyConfigError(`[NetLatencyModule] ${problems.join('; ')}`);
  const fields = new StableFieldNames().assign(raw.map((peer) => ({ key: peer.name, raw: peer.name })));
  return {
    peers: raw.map((peer) => ({ ...peer, field: fields.get(peer.name) as string })),
    attempts,
    timeoutMs: timeout * 1000,
    icmp: icmp as NetLatencySettings['icmp'],
    ping: section.ping ?? 'ping',
  };
}

function parseTarget(value: string, defaultPort: number): { host: string; port: number } | null {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  const [host, port] = bracketed
    ? [bracketed[1], bracketed[2]]
    : isIP(value) === 6
      ? [value, undefined]
      : (value.split(/:(?=\d+$)/) as [string, string | undefined]);
  const portNumber = port === undefined ? defaultPort : Number(port);
  if (!host || /[\s/]/.test(host) || host.startsWith('-') || !(portNumber > 0 && portNumber < 65536)) return null;
  return { host, port: portNumber };
}

/**
 * Round-trip time and loss to a list of peers (Baadal's host network graph): TCP connect
 * time to a port, and ICMP echo through `ping` where the system allows it (detected on
 * the first poll; without it the ICMP graphs are left out, or unknown with icmp = yes).
 * Peers are probed concurrently, each bounded by attempts × timeout, so an unreachable
 * peer costs one timeout budget, never a stalled poll.
 */
export class NetLatencyModule implements PollerModule {
  readonly name = 'netlatency';
  private icmpAvailable: Promise<string | null> | null = null;
  private readonly counters = { polls: 0, lostProbes: 0 };

  constructor(private readonly settings: NetLatencySettings) {}

  stats(): Record<string, number> {
    return { ...this.counters };
  }

  async collect(request: CollectRequest): Promise<Collection> {
    this.counters.polls++;
    const { peers, attempts, timeoutMs } = this.settings;
    const firstPoll = this.icmpAvailable === null;
    const icmpProblem = this.settings.icmp === 'no' ? null : await this.detectIcmp();
    const useIcmp = this.settings.icmp !== 'no' && (icmpProblem === null || this.settings.icmp === 'yes');
    const errors: string[] = [];
    if (icmpProblem && (firstPoll || this.settings.icmp === 'yes'))
      errors.push(`netlatency: ICMP ${this.settings.icmp === 'yes' ? 'unknown' : 'left out'}: ${icmpProblem}`);
    const [tcp, icmp] = await Promise.all([
      Promise.all(peers.map((peer) => probeTcp(peer.host, peer.port, attempts, timeoutMs))),
      Promise.all(
        peers.map((peer) =>
          useIcmp && !icmpProblem
            ? probeIcmp(this.settings.ping, peer.host, attempts, timeoutMs).catch((error: Error) => ({
                rttsMs: [],
                sent: attempts,
                failure: error.message,
              }))
            : null,
        ),
      ),
    ]);
    const out = { plugins: [] as PluginDescription[], samples: [] as Sample[], errors };
    this.add(out, request.nowSeconds, 'tcp', 'TCP connect time', tcp, (peer) => `${peer.host}:${peer.port}`);
    if (useIcmp) this.add(out, request.nowSeconds, 'icmp', 'ICMP round-trip time', icmp, (peer) => peer.host);
    return out;
  }

  private add(
    out: { plugins: PluginDescription[]; samples: Sample[]; errors: string[] },
    nowSeconds: number,
    kind: 'tcp' | 'icmp',
    title: string,
    results: Array<ProbeResult | null>,
    target: (peer: Peer) => string,
  ): void {
    const rttFields: Record<string, FieldInfo> = {};
    const lossFields: Record<string, FieldInfo> = {};
    const rtt: Record<string, number | null> = {};
    const loss: Record<string, number | null> = {};
    this.settings.peers.forEach((peer, index) => {
      const result = results[index];
      rttFields[peer.field] = { label: peer.name, type: 'GAUGE', min: 0, info: target(peer).slice(0, 4096) };
      lossFields[peer.field] = { label: peer.name, type: 'GAUGE', min: 0, max: 100, info: target(peer).slice(0, 4096) };
      if (!result) {
        rtt[peer.field] = null;
        loss[peer.field] = null;
        return;
      }
      const lost = result.sent - result.rttsMs.length;
      this.counters.lostProbes += lost;
      rtt[peer.field] = result.rttsMs.length
        ? Math.round((result.rttsMs.reduce((a, b) => a + b, 0) / result.rttsMs.length) * 1000) / 1000
        : null;
      loss[peer.field] = Math.round(((100 * lost) / result.sent) * 100) / 100;
      if (result.failure)
        out.errors.push(`netlatency: ${kind} ${peer.name} (${target(peer)}): ${result.failure} (${lost}/${result.sent} lost)`);
    });
    const order = Object.keys(rttFields);
    const plugin = `netlatency_${kind}`;
    out.plugins.push({
      plugin,
      title: `${title} to peers`,
      vlabel: 'ms',
      category: 'network',
      order,
      info: `Average over ${this.settings.attempts} probes per poll; unknown when none answered.`,
      fields: rttFields,
    });
    out.plugins.push({
      plugin: `${plugin}_loss`,
      title: `${title}: loss`,
      vlabel: '%',
      category: 'network',
      order,
      graph: { args: '--lower-limit 0 --upper-limit 100 -r', scale: 'no' },
      fields: lossFields,
    });
    out.samples.push({ plugin, timestamp: nowSeconds, values: rtt }, { plugin: `${plugin}_loss`, timestamp: nowSeconds, values: loss });
  }

  /** null when `ping` works here (checked once against 127.0.0.1), else why not. */
  private detectIcmp(): Promise<string | null> {
    this.icmpAvailable ??= probeIcmp(this.settings.ping, '127.0.0.1', 1, 1000).then(
      (result) => (result.rttsMs.length > 0 ? null : `ping to 127.0.0.1 got no answer (${result.failure ?? 'unknown'})`),
      (error: Error) => (error instanceof PingUnavailableError ? error.message : `ping failed: ${error.message}`),
    );
    return this.icmpAvailable;
  }
}

/** The factory the module registry calls with the `[NetLatencyModule]` section. */
export function createNetLatencyModule(context: ModuleContext): NetLatencyModule {
  return new NetLatencyModule(parseNetLatencySettings(context.config));
}
