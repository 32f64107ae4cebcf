/**
 * Simulated munin-nodes for bench/munin-central: N listeners on 127.0.0.1, each speaking
 * the munin-node protocol for `plugins` plugins of 6 fields (2 DERIVE), dirtyconfig-aware,
 * every answer sent after `latencyMs` (± half of it): the network and plugin time of a real
 * node, without its CPU. Runs in its own process so its CPU is not the poller's. Prints
 * the ports as one JSON line, then serves until stdin closes.
 * Argument: a JSON object { nodes, plugins, latencyMs }.
 */
import { type AddressInfo, createServer, type Socket } from 'node:net';

const options = JSON.parse(process.argv[2] ?? '{}') as { nodes: number; plugins: number; latencyMs: number };
const names = Array.from({ length: options.plugins }, (_, i) => `bench_${String(i).padStart(2, '0')}`);

function configOf(plugin: string, counter: number): string[] {
  return [
    `graph_title Simulated ${plugin}`,
    'graph_category bench',
    'graph_vlabel units',
    'rx.label rx',
    'rx.type DERIVE',
    'rx.min 0',
    'tx.label tx',
    'tx.type DERIVE',
    'tx.min 0',
    'a.label a',
    'b.label b',
    'c.label c',
    'd.label d',
    `rx.value ${counter * 1000}`,
    `tx.value ${counter * 2000}`,
    'a.value 1.5',
    'b.value 2',
    'c.value 3',
    'd.value U',
  ];
}

function serve(socket: Socket, name: string): void {
  let buffer = '';
  let dirty = false;
  const later = (text: string) => {
    const delay = options.latencyMs * (0.5 + Math.random());
    setTimeout(() => socket.writable && socket.write(text), delay);
  };
  socket.on('error', () => {});
  socket.write(`# munin node at ${name}\n`);
  socket.on('data', (chunk) => {
    buffer += chunk.toString();
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf('\n');
      const counter = Math.floor(Date.now() / 1000);
      if (line.startsWith('cap')) {
        dirty = line.includes('dirtyconfig');
        later('cap multigraph dirtyconfig\n');
      } else if (line.startsWith('list')) later(`${names.join(' ')}\n`);
      else if (line.startsWith('config ')) {
        const lines = configOf(line.slice(7), counter);
        later(`${(dirty ? lines : lines.slice(0, 13)).join('\n')}\n.\n`);
      } else if (line.startsWith('fetch ')) later(`${configOf(line.slice(6), counter).slice(13).join('\n')}\n.\n`);
      else if (line.startsWith('quit')) socket.end();
      else later('# Unknown command. Try cap, list, nodes, config, fetch, version or quit\n');
    }
  });
}

const ports: number[] = [];
for (let i = 0; i < options.nodes; i++) {
  const name = `sim-${i}.bench`;
  const server = createServer((socket) => serve(socket, name));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ports.push((server.address() as AddressInfo).port);
}
process.stdout.write(`${JSON.stringify(ports)}\n`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
