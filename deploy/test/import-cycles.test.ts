import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type TempDir, tempDir } from '../../common/testing/temp-dir.js';

const CHECK = fileURLToPath(new URL('../checks/import-cycles.ts', import.meta.url));
const check = (root: string) => spawnSync(process.execPath, ['--import', 'tsx', CHECK, root], { encoding: 'utf8' });

describe('import cycle check (npm test)', () => {
  let temp: TempDir;
  before(async () => {
    temp = await tempDir('import-cycles');
  });
  after(() => temp.remove());

  async function tree(name: string, files: Record<string, string>): Promise<string> {
    const root = join(temp.dir, name);
    for (const [path, source] of Object.entries(files)) {
      await mkdir(join(root, path, '..'), { recursive: true });
      await writeFile(join(root, path), source);
    }
    return root;
  }

  it('passes a tree whose imports point one way', async () => {
    const root = await tree('clean', {
      'a.ts': "import { b } from './b.js';\nexport const a = b;\n",
      'b.ts': "import { readFileSync } from 'node:fs';\nexport const b = readFileSync;\n",
    });
    const run = check(root);
    assert.equal(run.status, 0, run.stderr);
  });

  it('fails on a cycle through a barrel, a multi-line import and a type-only import, naming the files', async () => {
    const root = await tree('cyclic', {
      'lib/index.ts': "export * from './src/x.js';\n",
      'lib/src/x.ts': "import {\n  type Y,\n} from '../../app/y.js';\nexport type X = Y;\n",
      'app/y.ts': "import type { X } from '../lib/index.js';\nexport type Y = X | number;\n",
      'app/z.ts': "import { a } from './y.js';\n",
    });
    const run = check(root);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /import cycle: .*app\/y\.ts <-> .*lib\/index\.ts <-> .*lib\/src\/x\.ts/);
    assert.doesNotMatch(run.stderr, /z\.ts/, 'a file that only imports into the cycle is not part of it');
  });
});
