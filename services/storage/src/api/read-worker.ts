import { parentPort } from 'node:worker_threads';
import { CorruptWhisperFileError } from '../../../../common/whisper/index.js';
import type { FileHeader } from './whisper-header.js';
import { ReadScratch, readFileSlots } from './whisper-sync-read.js';

/**
 * The read worker of WhisperFiles (whisper-files.ts): batches of files read with blocking
 * system calls on this thread, so the API's event loop spends nothing per file but its
 * share of one message per batch. Every value of a batch goes back in one Float64Array
 * (transferred, not copied); each answer says where its values are.
 */
export interface ReadJob {
  path: string;
  /** null: the header only. */
  window: { from: number; until: number; now: number } | null;
}

export interface ReadBatch {
  id: number;
  jobs: ReadJob[];
}

/** Why a read failed, rebuilt as common/whisper's error on the API's side (errors do not cross threads whole). */
export type ReadFailure = { kind: 'corrupt'; reason: string } | { kind: 'io'; message: string; code?: string };

export type ReadAnswer =
  | { ok: true; header: FileHeader; slots: { start: number; step: number; count: number; offset: number } | null }
  | { ok: false; failure: ReadFailure };

export interface ReadBatchAnswer {
  id: number;
  answers: ReadAnswer[];
  values: Float64Array;
}

const scratch = new ReadScratch();

function readOne(job: ReadJob): ReadAnswer {
  const offset = scratch.used;
  try {
    const { header, plan } = readFileSlots(job.path, job.window, scratch);
    return { ok: true, header, slots: plan && { start: plan.start, step: plan.step, count: plan.count, offset } };
  } catch (error) {
    scratch.used = offset;
    if (error instanceof CorruptWhisperFileError) return { ok: false, failure: { kind: 'corrupt', reason: error.error } };
    const code = (error as { code?: unknown }).code;
    return { ok: false, failure: { kind: 'io', message: (error as Error).message, code: typeof code === 'string' ? code : undefined } };
  }
}

parentPort?.on('message', (batch: ReadBatch) => {
  scratch.used = 0;
  const answers = batch.jobs.map(readOne);
  const values = scratch.values.slice(0, scratch.used);
  const answer: ReadBatchAnswer = { id: batch.id, answers, values };
  parentPort?.postMessage(answer, [values.buffer]);
});
