/**
 * One webapp of bench/scale, in this process: a MariaDB database of its own, migrated, the
 * world's storage registered (with the webapp's own client token), a superuser, and the app
 * served on a free port. `close()` drops the database.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '../../common/logging/index.js';
import { createApp } from '../../services/webapp/src/app.js';
import { migrate } from '../../services/webapp/src/db/migrations.js';
import { type AppDeps, buildDeps } from '../../services/webapp/src/deps.js';
import { addUser, createTestDatabase } from '../../services/webapp/test/helpers.js';

export const ADMIN = { username: 'root', password: 'root-password' };

export interface BenchWebapp {
  deps: AppDeps;
  base: string;
  close(): Promise<void>;
}

export async function startWebapp(storagePort: number, token: string): Promise<BenchWebapp> {
  // Timeouts long enough for a loaded 2-CPU machine: a page's storage requests are measured, not cut.
  const db = await createTestDatabase({ NUMETER_WEBAPP_STORAGE_TIMEOUT: '60' });
  const deps = buildDeps(db.config, { logger: silentLogger() });
  let server: Server | undefined;
  const close = async () => {
    try {
      if (server) await new Promise<void>((resolve) => server?.close(() => resolve()));
      await deps.close();
    } finally {
      await db.drop();
    }
  };
  try {
    await migrate(deps.pool);
    await deps.repos.storages.create({
      name: 'scale',
      protocol: 'http',
      address: '127.0.0.1',
      port: storagePort,
      urlPrefix: '/numeter-storage',
      login: '',
      password: '',
      token,
    });
    await addUser(deps, ADMIN.username, ADMIN.password, { superuser: true });
    const app = await createApp(deps);
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    return { deps, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close };
  } catch (error) {
    await close();
    throw error;
  }
}
