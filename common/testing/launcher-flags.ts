import { readFileSync } from 'node:fs';

/**
 * The node flags an executable's shebang passes (`#!/usr/bin/env -S node --flag ...`): the
 * one place a service's V8 flags are written. The benchmarks run with them, and the
 * deployment test checks that the systemd units pass the same.
 */
export function launcherFlags(script: string): string[] {
  const first = readFileSync(script, 'utf8').split('\n', 1)[0];
  const match = /^#!\/usr\/bin\/env (?:-S )?node((?:\s+--\S+)*)\s*$/.exec(first);
  if (!match) throw new Error(`${script}: the first line is not a "#!/usr/bin/env -S node [--flag...]" shebang: ${first.slice(0, 80)}`);
  return match[1].split(/\s+/).filter(Boolean);
}
