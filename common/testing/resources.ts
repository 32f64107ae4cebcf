import assert from 'node:assert/strict';
import { eventually } from './eventually.js';

/** The kinds of resources keeping the event loop alive now (timers, sockets, handles), sorted. */
export function activeResources(): string[] {
  return process.getActiveResourcesInfo().sort();
}

/**
 * A baseline for `assertNoResourcesLeft`, taken once child processes a fixture ran (e.g.
 * rabbitmqctl) have gone, so they do not count as the test's own.
 */
export async function resourceBaseline(): Promise<string[]> {
  await eventually(() => !activeResources().includes('ProcessWrap'), 10_000, 'fixture child processes to exit');
  return activeResources();
}

/**
 * Asserts that the resources alive come back to `baseline` (sockets take a moment to
 * finish closing after a stop resolved), naming what is left if they do not.
 */
export async function assertNoResourcesLeft(baseline: string[], timeoutMs = 5000): Promise<void> {
  const same = () => JSON.stringify(activeResources()) === JSON.stringify(baseline);
  await eventually(same, timeoutMs, 'resources to be released').catch(() => {});
  assert.deepEqual(activeResources(), baseline, 'resources left behind after stop');
}
