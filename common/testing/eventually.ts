/**
 * Checks `check` every 20 ms until it holds; throws naming `what` after `timeoutMs`. For
 * tests waiting on another process or a real service; waits on our own components use
 * their counters or events instead.
 */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
