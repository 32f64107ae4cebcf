import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ComponentGroup, ComponentStartError } from '../index.js';
import { RecordingPart } from './fixtures.js';

describe('ComponentGroup', () => {
  it('starts in order and stops in reverse, inputs (listed last) first', async () => {
    const log: string[] = [];
    const group = new ComponentGroup('svc', [
      new RecordingPart('spool', log),
      new RecordingPart('publisher', log),
      new RecordingPart('scheduler', log),
    ]);
    await group.start();
    await group.stop(1000);
    assert.deepEqual(log, ['start spool', 'start publisher', 'start scheduler', 'stop scheduler', 'stop publisher', 'stop spool']);
  });

  it('a part that fails to start stops the ones started before it, and the error names the part', async () => {
    const log: string[] = [];
    const later = new RecordingPart('api', log);
    const group = new ComponentGroup('svc', [
      new RecordingPart('redis', log),
      new RecordingPart('consumer', log, { failStart: true }),
      later,
    ]);
    const error = await group.start().then(
      () => assert.fail('start should fail'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ComponentStartError);
    assert.equal(error.component, 'consumer');
    assert.match(error.message, /consumer failed to start: consumer cannot open its port/);
    assert.match(String((error.cause as Error).message), /cannot open its port/);
    assert.deepEqual(log, ['start redis', 'stop redis']);
    assert.equal(later.stats().starts, 0);
  });

  it('a part that does not stop by the deadline is left behind and the others still stop', async () => {
    const log: string[] = [];
    const group = new ComponentGroup('svc', [new RecordingPart('spool', log), new RecordingPart('module', log, { hangStop: true })], {
      forceCloseMs: 50,
    });
    await group.start();
    await group.stop(30);
    assert.deepEqual(group.abandoned, ['module']);
    assert.deepEqual(log.slice(-2), ['stop module', 'stop spool']);
  });

  it('reports its parts stats prefixed by their names, one flat shape', async () => {
    const log: string[] = [];
    const group = new ComponentGroup('svc', [new RecordingPart('a', log), new RecordingPart('b', log)]);
    await group.start();
    await group.stop();
    await group.start();
    assert.deepEqual(group.stats(), { a_starts: 2, a_stops: 1, b_starts: 2, b_stops: 1 });
    await group.stop();
  });
});
