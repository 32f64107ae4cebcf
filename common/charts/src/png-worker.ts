import { parentPort } from 'node:worker_threads';
import type { ChartModel, ChartSize } from './model.js';
import { renderPng } from './png.js';

/** One PNG render per message, off the event loop of the server (see `png-pool.ts`). */
export interface RenderRequest {
  id: number;
  model: ChartModel;
  size: ChartSize;
  fontFile?: string;
}
export type RenderAnswer = { ready: true } | { id: number; png: Uint8Array } | { id: number; error: { name: string; message: string } };

parentPort?.on('message', (job: RenderRequest) => {
  let answer: RenderAnswer;
  try {
    const png = renderPng(job.model, job.size, job.fontFile);
    answer = { id: job.id, png };
  } catch (error) {
    answer = { id: job.id, error: { name: (error as Error).name, message: (error as Error).message } };
  }
  parentPort?.postMessage(answer);
});

// the modules (echarts, resvg) are loaded: the pool's time limit counts from here
parentPort?.postMessage({ ready: true } satisfies RenderAnswer);
