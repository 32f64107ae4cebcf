/**
 * Fails when the TypeScript sources import each other in a cycle (`npm test` runs it).
 * Reads every `.ts` file under the given roots, follows relative `import`/`export … from`
 * specifiers (type-only imports included: a type cycle is a design cycle too), and prints
 * each strongly connected component of more than one file, or a file importing itself.
 *
 * Usage: node --import tsx deploy/checks/import-cycles.ts [root ...]   (default: common services bench deploy)
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*\(?\s*['"]([^'"]+)['"]/g;

/** Every `.ts` file under `dir`, skipping dependencies, build output and the browser client bundle inputs. */
export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist' || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (entry.endsWith('.ts') && !entry.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The files `file` imports by relative path (`./x.js` is `./x.ts` on disk). */
export function importsOf(file: string, source: string): string[] {
  const targets: string[] = [];
  for (const match of source.matchAll(IMPORT)) {
    const specifier = match[1] ?? match[2];
    if (!specifier?.startsWith('.')) continue;
    const base = resolve(dirname(file), specifier);
    const candidate = [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, join(base, 'index.ts')].find(
      (path) => path.endsWith('.ts') && existsSync(path),
    );
    if (candidate) targets.push(candidate);
  }
  return targets;
}

/** Tarjan's strongly connected components; those with a cycle, each as a list of files. */
export function findCycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) cycles.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

function main(roots: string[]): number {
  const graph = new Map<string, string[]>();
  for (const root of roots) for (const file of sourceFiles(root)) graph.set(file, importsOf(file, readFileSync(file, 'utf8')));
  const cycles = findCycles(graph);
  for (const cycle of cycles) process.stderr.write(`import cycle: ${cycle.map((f) => relative(process.cwd(), f)).join(' <-> ')}\n`);
  if (cycles.length === 0) process.stdout.write(`[test] no import cycle among ${graph.size} files\n`);
  return cycles.length === 0 ? 0 : 1;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  const roots = process.argv.slice(2);
  process.exitCode = main(roots.length ? roots : ['common', 'services', 'bench', 'deploy']);
}
