import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { closeHttpServer, waitUntil } from '../index.js';

async function listening(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

function get(port: number, agent?: import('node:http').Agent): Promise<{ status?: number; error?: string }> {
  return new Promise((resolve) => {
    const req = request({ port, host: '127.0.0.1', path: '/', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode }));
      res.on('error', (e) => resolve({ error: e.message }));
    });
    req.on('error', (e) => resolve({ error: e.message }));
    req.end();
  });
}

describe('closeHttpServer', () => {
  it('lets a request in progress finish, closes idle keep-alive sockets, resolves with nothing left', async () => {
    const before = process.getActiveResourcesInfo().sort();
    let finish!: () => void;
    let arrived!: () => void;
    const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
    const { server, port } = await listening((_req, res) => {
      finish = () => res.end('ok');
      arrived();
    });
    const agent = new (await import('node:http')).Agent({ keepAlive: true });
    const inFlight = get(port, agent);
    await requestArrived;
    const closing = closeHttpServer(server, 5000);
    finish();
    assert.deepEqual(await inFlight, { status: 200 });
    await closing;
    agent.destroy();
    assert.equal(server.listening, false);
    // The client's side of the socket closes once it has read the server's FIN.
    const settled = await waitUntil(() => process.getActiveResourcesInfo().length === before.length, 2000, { intervalMs: 10 });
    assert.ok(settled, `left behind: ${process.getActiveResourcesInfo().sort()} (before: ${before})`);
  });

  it('cuts a request still running at the deadline', async () => {
    let arrived!: () => void;
    const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
    const { server, port } = await listening(() => arrived());
    const hung = get(port);
    await requestArrived;
    await closeHttpServer(server, 50);
    assert.ok((await hung).error, 'the client sees its connection closed');
  });

  it('resolves at once for a server that is not listening', async () => {
    await closeHttpServer(createServer(), 1000);
  });
});
