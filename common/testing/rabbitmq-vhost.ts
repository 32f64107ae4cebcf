import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Vhost {
  name: string;
  /** Direct URL to the shared broker on this vhost, as guest. */
  url: string;
  /** Deletes the vhost (and every queue in it); rejects if rabbitmqctl fails. */
  delete(): Promise<void>;
}

/**
 * A throwaway vhost `<prefix>-<8 hex>` on the shared broker (127.0.0.1:5672) with full
 * permissions for guest, so tests and benchmarks never see each other's queues.
 */
export async function createVhost(prefix: string): Promise<Vhost> {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  await run('rabbitmqctl', ['-q', 'add_vhost', name]);
  await run('rabbitmqctl', ['-q', 'set_permissions', '-p', name, 'guest', '.*', '.*', '.*']);
  return {
    name,
    url: `amqp://guest:guest@127.0.0.1:5672/${encodeURIComponent(name)}`,
    delete: async () => {
      await run('rabbitmqctl', ['-q', 'delete_vhost', name]);
    },
  };
}
