import type { DataMessage } from '../../schemas/index.js';

/** A one-point data message; `n` makes its timestamp (hence its messageId) unique. */
export function dataMessage(hostId: string, n: number, plugin = 'cpu'): DataMessage {
  return { v: 1, kind: 'data', hostId, points: [{ plugin, timestamp: 1_700_000_000 + n, values: { user: n, system: null } }] };
}

/** Polls `check` every 20 ms until it is true or `timeoutMs` passes (then throws `what`). */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
