import assert from 'node:assert/strict';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { silentLogger } from '../../../common/logging/index.js';
import { MuninModule } from '../src/modules/munin/module.js';
import { MuninNodeError, MuninSession } from '../src/modules/munin/session.js';

/**
 * A fake node (node:net) for inputs a real munin-node never sends: garbage, a 1 MB
 * line, silence, a connection dropped mid-response.
 */
type Behaviour = (socket: Socket, command: string) => void;

async function fakeNode(
  onConnect: (socket: Socket) => void,
  onCommand: Behaviour = () => {},
): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let count = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    count++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    let buffer = '';
    socket.on('data', (data) => {
      buffer += data.toString();
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        onCommand(socket, buffer.slice(0, newline));
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf('\n');
      }
    });
    onConnect(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => count,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const options = (port: number) => ({
  host: '127.0.0.1',
  port,
  connectTimeoutMs: 500,
  readTimeoutMs: 300,
  maxLineLength: 65536,
  maxLines: 100,
});
const banner = (socket: Socket) => socket.write('# munin node at fake\n');

async function expectError(promise: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof MuninNodeError, String(error));
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    return true;
  });
}

describe('munin session against a misbehaving node', () => {
  it('refuses a peer that is not a munin-node', async () => {
    const node = await fakeNode((s) => s.write('SSH-2.0-OpenSSH_9.2\n'));
    try {
      await expectError(MuninSession.open(options(node.port)), 'protocol', /not a munin-node/);
    } finally {
      await node.close();
    }
  });

  it('times out on a node that never answers', async () => {
    const node = await fakeNode(() => {});
    try {
      await expectError(MuninSession.open(options(node.port)), 'timeout', /banner: no answer within 300 ms/);
    } finally {
      await node.close();
    }
  });

  it('fails cleanly when nothing listens', async () => {
    const node = await fakeNode(() => {});
    const { port } = node;
    await node.close();
    await expectError(MuninSession.open(options(port)), 'connect', /cannot connect to 127\.0\.0\.1:\d+/);
  });

  it('breaks the session on a 1 MB line without buffering it all', async () => {
    const node = await fakeNode(banner, (socket, command) => {
      if (command.startsWith('cap')) socket.write('cap multigraph\n');
      if (command.startsWith('list')) socket.write(`${'x'.repeat(1024 * 1024)}\n`);
    });
    try {
      const session = await MuninSession.open(options(node.port));
      await session.cap(['multigraph']);
      await expectError(session.list(), 'limit', /line longer than 65536 characters/);
      assert.equal(session.broken, true);
    } finally {
      await node.close();
    }
  });

  it('limits the number of lines of a response', async () => {
    const node = await fakeNode(banner, (socket) => socket.write('x.value 1\n'.repeat(500)));
    try {
      const session = await MuninSession.open(options(node.port));
      await expectError(session.fetch('x'), 'limit', /more than 100 lines/);
    } finally {
      await node.close();
    }
  });

  it('treats EOF in the middle of a response as an error', async () => {
    const node = await fakeNode(banner, (socket) => socket.end('x.value 1\n'));
    try {
      const session = await MuninSession.open(options(node.port));
      await expectError(session.fetch('x'), 'closed', /closed/);
    } finally {
      await node.close();
    }
  });
});

describe('munin module against a misbehaving node', () => {
  it('reports garbage and hung plugins and goes on with the others on a new connection', async () => {
    const node = await fakeNode(banner, (socket, command) => {
      const [verb, plugin] = command.split(' ');
      if (verb === 'cap') socket.write('cap multigraph dirtyconfig\n');
      else if (verb === 'list') socket.write('good hang garbage binary good2\n');
      else if (verb === 'config' && plugin === 'hang')
        return; // never answers
      else if (verb === 'config' && plugin === 'garbage') socket.write('%%%% $$$$\n!!!\n.\n');
      else if (verb === 'config' && plugin === 'binary') socket.write(Buffer.from([0xff, 0xfe, 0x00, 0x0a, 0x2e, 0x0a]));
      else if (verb === 'config') socket.write(`graph_title ${plugin}\nv.label v\nv.value 1\n.\n`);
      else if (verb === 'fetch') socket.write('.\n');
    });
    try {
      const module = new MuninModule({
        ...options(node.port),
        pluginsEnable: /^/,
        maxReconnects: 3,
        logger: silentLogger(),
        nowSeconds: () => 1_800_000_000,
      });
      const collection = await module.collect({ nowSeconds: 1_800_000_000, wantInfo: true });
      assert.deepEqual(
        collection.samples.map((s) => s.plugin),
        ['good', 'good2'],
      );
      assert.ok(
        collection.errors?.some((e) => /^hang: config ..*no answer within 300 ms/.test(e)),
        collection.errors?.join('\n'),
      );
      assert.ok(
        collection.errors?.some((e) => e.startsWith('garbage: garbage: cannot read line')),
        collection.errors?.join('\n'),
      );
      assert.ok(
        collection.errors?.some((e) => e.startsWith('binary: binary: cannot read line')),
        collection.errors?.join('\n'),
      );
      assert.equal(node.connections(), 2, 'one reconnect after the hung plugin');
      assert.equal(module.stats().reconnects, 1);
    } finally {
      await node.close();
    }
  });

  it('gives up on a node that breaks every session, without hanging the poll', async () => {
    const node = await fakeNode(banner, (socket, command) => {
      if (command.startsWith('cap')) socket.write('cap\n');
      else if (command.startsWith('list')) socket.write('a b c d e f\n');
      else socket.destroy();
    });
    try {
      const module = new MuninModule({
        ...options(node.port),
        pluginsEnable: /^/,
        maxReconnects: 2,
        logger: silentLogger(),
        nowSeconds: () => 1_800_000_000,
      });
      const collection = await module.collect({ nowSeconds: 1_800_000_000, wantInfo: true });
      assert.equal(collection.samples.length, 0);
      assert.equal(collection.errors?.length, 6);
      assert.ok(
        collection.errors?.slice(3).every((e) => /skipped, the node broke 3 sessions/.test(e)),
        collection.errors?.join('\n'),
      );
    } finally {
      await node.close();
    }
  });
});
