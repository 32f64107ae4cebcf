import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { API_DOC, renderedApiDoc } from '../docs/graphite-functions.js';

describe('docs: the Graphite function table', () => {
  it('docs/api.md lists exactly the functions /functions serves (regenerate with deploy/docs/graphite-functions.ts --write)', () => {
    const committed = readFileSync(API_DOC, 'utf8');
    assert.equal(committed, renderedApiDoc(committed));
  });
});
