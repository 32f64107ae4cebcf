import assert from 'node:assert/strict';
import { eventually } from './eventually.js';

/**
 * The kinds of resources keeping the event loop alive now (timers, sockets, handles),
 * sorted; file system requests in flight are left out (they end by themselves; a leaked
 * file shows as a FileHandle).
 */
export function activeResources(): string[] {
  return process
    .getActiveResourcesInfo()
    .filter((kind) => !kind.startsWith('FSReq'))
    .sort();
}

/**
 * A baseline for `assertNoResourcesLeft`, taken once child processes a fixture ran (e.g.
 * rabbitmqctl) have gone, so they do not count as the test's own.
 */
export async function resourceBaseline(): Promise<string[]> {
  await eventually(() => !activeResources().includes('ProcessWrap'), 10_000, 'fixture child processes to exit');
  return activeResources();
}

/** The resources alive now that `baseline` did not have (a kind counted as often as it is in excess). */
export function resourcesBeyond(baseline: string[]): string[] {
  const left = [...baseline];
  return activeResources().filter((kind) => {
    const at = left.indexOf(kind);
    if (at === -1) return true;
    left.splice(at, 1);
    return false;
  });
}

/**
 * Asserts that no resource is alive beyond `baseline` (sockets take a moment to finish
 * closing after a stop resolved), naming what is left if one is. Fewer is fine: the
 * baseline may hold a socket an earlier test was still closing.
 */
export async function assertNoResourcesLeft(baseline: string[], timeoutMs = 5000): Promise<void> {
  await eventually(() => resourcesBeyond(baseline).length === 0, timeoutMs, 'resources to be released').catch(() => {});
  assert.deepEqual(resourcesBeyond(baseline), [], 'resources left behind after stop');
}
