import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { silentLogger } from '../../logging/index.js';
import { runService, type ServiceProcess } from '../index.js';
import { RecordingPart } from './fixtures.js';

/** Signals the test sends by hand; exit() is recorded, not obeyed. */
class FakeProcess extends EventEmitter implements ServiceProcess {
  readonly exits: number[] = [];
  exit(code: number): void {
    this.exits.push(code);
  }
  signal(name: NodeJS.Signals): void {
    this.emit(name, name);
  }
}

const options = (proc: FakeProcess) => ({ name: 'svc', logger: silentLogger(), stopDeadlineMs: 200, process: proc });
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('runService', () => {
  it('runs until SIGTERM, then stops in reverse, removes its signal handlers and resolves to 0', async () => {
    const log: string[] = [];
    const proc = new FakeProcess();
    const running = runService([new RecordingPart('store', log), new RecordingPart('input', log)], options(proc));
    await tick();
    assert.deepEqual(log, ['start store', 'start input']);
    assert.equal(proc.listenerCount('SIGTERM'), 1);
    proc.signal('SIGTERM');
    assert.equal(await running, 0);
    assert.deepEqual(log.slice(2), ['stop input', 'stop store']);
    assert.equal(proc.listenerCount('SIGTERM') + proc.listenerCount('SIGINT'), 0);
    assert.deepEqual(proc.exits, []);
  });

  it('a second signal while stopping exits at once', async () => {
    const log: string[] = [];
    const proc = new FakeProcess();
    const running = runService([new RecordingPart('module', log, { hangStop: true })], { ...options(proc), stopDeadlineMs: 100 });
    await tick();
    proc.signal('SIGINT');
    await tick();
    proc.signal('SIGINT');
    assert.deepEqual(proc.exits, [1]);
    await running;
  });

  it('a failed start resolves to 1 with what had started stopped again, without waiting for a signal', async () => {
    const log: string[] = [];
    const proc = new FakeProcess();
    const code = await runService([new RecordingPart('redis', log), new RecordingPart('api', log, { failStart: true })], options(proc));
    assert.equal(code, 1);
    assert.deepEqual(log, ['start redis', 'stop redis']);
  });

  it('with run, stops when the work is done and returns its code', async () => {
    const log: string[] = [];
    const proc = new FakeProcess();
    const code = await runService([new RecordingPart('spool', log)], { ...options(proc), run: async () => 3 });
    assert.equal(code, 3);
    assert.deepEqual(log, ['start spool', 'stop spool']);
    const failed = await runService([new RecordingPart('spool', log)], {
      ...options(proc),
      run: () => Promise.reject(new Error('no module')),
    });
    assert.equal(failed, 1);
  });

  it('a component still stopping at the deadline makes the service exit with 1', async () => {
    const log: string[] = [];
    const proc = new FakeProcess();
    const running = runService([new RecordingPart('spool', log), new RecordingPart('module', log, { hangStop: true })], {
      ...options(proc),
      stopDeadlineMs: 50,
    });
    await tick();
    proc.signal('SIGTERM');
    assert.equal(await running, 1);
    assert.deepEqual(proc.exits, [1]);
    assert.deepEqual(log.slice(-2), ['stop module', 'stop spool'], 'the parts after the hung one still stop');
  });

  it('ten runs in one process leave no timer, handle or listener behind', async () => {
    const proc = new FakeProcess();
    const before = process.getActiveResourcesInfo().sort();
    for (let i = 0; i < 10; i++) {
      const running = runService([new RecordingPart('a', []), new RecordingPart('b', [])], options(proc));
      await tick();
      proc.signal('SIGTERM');
      assert.equal(await running, 0);
    }
    assert.deepEqual(process.getActiveResourcesInfo().sort(), before);
    assert.equal(proc.eventNames().length, 0);
  });
});
