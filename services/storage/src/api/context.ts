import type { Logger } from 'pino';
import type { PngRenderPool } from '../../../../common/charts/index.js';
import type { Clock } from '../../../../common/lifecycle/index.js';
import type { Catalog } from './catalog.js';
import type { ApiSettings, WhisperReader } from './deps.js';

/** What route handlers share. */
export interface RouteContext {
  catalog: Catalog;
  whisper: WhisperReader;
  settings: ApiSettings;
  /** "now" of the time windows (whole epoch seconds, wholeSecondsOf). */
  clock: Clock;
  logger: Logger;
  /** `/render?format=png` draws in these workers (bounded: common/charts). */
  png: PngRenderPool;
}
