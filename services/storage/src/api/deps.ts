import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { PngRenderPool } from '../../../../common/charts/index.js';
import type { Clock } from '../../../../common/lifecycle/index.js';
import type { IndexReader } from '../index/index-reader.js';
import type { FileHeader } from './whisper-header.js';

/** What the API needs from its config (the entry point maps the `[api]` section onto it). */
export interface ApiSettings {
  listen: string;
  port: number;
  /** Mount point of every route, e.g. `/numeter-storage` (empty string: the root). */
  prefix: string;
  /** Accepted `Authorization: Bearer <token>` values. Auth is on when tokens or users are set. */
  authTokens: string[];
  /** user → password for `Authorization: Basic`. */
  basicUsers: Record<string, string>;
  /** Known clients (Bearer tokens), each with its own requests per minute (0 = unlimited). */
  clients: ApiClient[];
  /** Requests per minute per credential, or per client address without credentials; 0 turns the limit off. */
  rateLimitPerMinute: number;
  /** express `trust proxy`: which proxy's X-Forwarded-For gives the client address. */
  trustProxy: boolean | number | string;
  /** Most values one response may carry (all series together); more → 400. */
  maxPoints: number;
  /** Most stored values one request may read (all series, before consolidation); more → 400 before any read. */
  maxReadPoints: number;
  /** Most stored values all requests in flight may hold together; a request that does not fit waits, then 503. */
  maxReadPointsInFlight: number;
  /** Most series one Graphite find/expand/render may match; more → 400. */
  maxFindResults: number;
}

export interface ApiClient {
  name: string;
  token: string;
  ratePerMinute: number;
}

export interface ApiConfig {
  /** Root of every `.wsp` file; a `WSP_PATH` entry outside it is refused. */
  wspPath: string;
  /** Length of the md5 directory level (`wsp_path_md5_char`): where to look for a host the index does not locate. */
  wspPathMd5Char: number;
  api: ApiSettings;
}

/** Values for the intervals start, start+step, …, end-step; null where nothing is stored. */
export interface SeriesFetch {
  start: number;
  end: number;
  step: number;
  values: (number | null)[];
}

/** The same, the values in a typed array with NaN where nothing is stored (/render: no boxed number per value). */
export interface SeriesValues {
  start: number;
  end: number;
  step: number;
  values: Float64Array;
}

/**
 * How the API reads `.wsp` files: asynchronously, so no read holds the event loop
 * (`WhisperFiles` in whisper-files.ts; injectable so tests can watch what is opened).
 * `fetch` follows common/whisper's `fetch` rules (null: nothing stored in the window).
 */
export interface WhisperReader {
  header(path: string): Promise<FileHeader>;
  fetch(path: string, from: number, until: number, options: { now: number }): Promise<SeriesFetch | null>;
  /** `fetch` with the values as they are decoded: a Float64Array, NaN for nothing stored. */
  fetchValues(path: string, from: number, until: number, options: { now: number }): Promise<SeriesValues | null>;
}

export interface ProbeResult {
  ok: boolean;
  detail?: string;
}

export interface HealthProbes {
  broker(): Promise<ProbeResult>;
  disk(): Promise<ProbeResult>;
}

export interface ApiDeps {
  config: ApiConfig;
  /** The Redis index, read-only (the storage's StorageIndex owns the client). */
  index: IndexReader;
  /** Default: a `WhisperFiles` reading the files asynchronously. */
  whisper?: WhisperReader;
  /** PNG renders of `/render?format=png`; default: a pool of its own, stopped with the server. */
  png?: PngRenderPool;
  /** "now" of the time windows and of the file walks' reuse (whole epoch seconds, wholeSecondsOf). */
  clock: Clock;
  logger: Logger;
  metrics: Registry;
  health: HealthProbes;
}
