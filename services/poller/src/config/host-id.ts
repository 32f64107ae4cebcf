import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { nameProblem } from '../../../../common/schemas/index.js';

export class HostIdError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HostIdError';
  }
}

export const HOST_ID_FILE = 'host_id';

/**
 * The host ID from [MyInfo] host_id, else the one generated at first start and kept in
 * `<state_dir>/host_id`, else a new one in the original's suggested shape
 * (`<epoch>-<32 hex>`), created with link() so two pollers starting at once agree.
 */
export async function resolveHostId(options: {
  configured: string;
  stateDir: string;
  nowSeconds: () => number;
}): Promise<{ hostId: string; source: 'config' | 'state' | 'generated' }> {
  if (options.configured) return { hostId: options.configured, source: 'config' };
  const file = join(options.stateDir, HOST_ID_FILE);
  const existing = await readHostIdFile(file);
  if (existing) return { hostId: existing, source: 'state' };
  await mkdir(options.stateDir, { recursive: true });
  const candidate = `${Math.floor(options.nowSeconds())}-${randomBytes(16).toString('hex')}`;
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, `${candidate}\n`, { mode: 0o644 });
  try {
    await link(temporary, file);
    return { hostId: candidate, source: 'generated' };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
      throw new HostIdError(`cannot store the host ID in ${file}: ${(error as Error).message}`, { cause: error });
    const winner = await readHostIdFile(file);
    if (!winner) throw new HostIdError(`${file} exists but holds no valid host ID`);
    return { hostId: winner, source: 'state' };
  } finally {
    await unlink(temporary).catch(() => {});
  }
}

async function readHostIdFile(file: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new HostIdError(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  const hostId = text.trim();
  const problem = nameProblem(hostId);
  if (problem) throw new HostIdError(`${file}: the stored host ID ${problem}; fix or remove the file`);
  return hostId;
}
