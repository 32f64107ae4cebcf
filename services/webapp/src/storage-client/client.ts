import type { z } from 'zod';
import {
  DataResponse,
  ErrorResponse,
  HostsResponse,
  LegacyHostInfo,
  LegacyPluginInfo,
  ListResponse,
  ListsResponse,
  type Resolution,
} from '../../../../common/schemas/index.js';
import type { Storage } from '../repos/index.js';
import { StorageBusyError, StorageNotFoundError, StorageRequestError, StorageUnavailableError } from './errors.js';
import { NO_RETRY, RETRIED_STATUSES, type RetryPolicy, retryAfterMs, waitBeforeRetry } from './retry.js';

/** Largest storage answer accepted (a year of minute points for ~100 series is ~60 MB of JSON). */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** Shared by every client of a gateway: what the storages did, for `/healthz` and logs. */
export interface StorageCounters {
  requests: number;
  unavailable: number;
  notFound: number;
  rejected: number;
  /** 429/503 answers waited out and asked again. */
  retried: number;
  /** Requests that still got 429/503 when their retry deadline came (also counted in `unavailable`). */
  gaveUp: number;
}
export function newStorageCounters(): StorageCounters {
  return { requests: 0, unavailable: 0, notFound: 0, rejected: 0, retried: 0, gaveUp: 0 };
}

export interface DataQuery {
  res?: Resolution;
  from?: number;
  until?: number;
  maxDataPoints?: number;
}

/** Base URL of a storage, as the original: `protocol://address:port` + url prefix. */
export function storageBaseUrl(storage: Pick<Storage, 'protocol' | 'address' | 'port' | 'urlPrefix'>): string {
  const address = storage.address.includes(':') && !storage.address.startsWith('[') ? `[${storage.address}]` : storage.address;
  return `${storage.protocol}://${address}:${storage.port}${storage.urlPrefix}`;
}

/**
 * Typed client of one storage's REST API. Every request has a deadline; every response is
 * validated with the `common/schemas` shapes, so a misbehaving storage is an error, not bad data.
 */
export class StorageClient {
  readonly baseUrl: string;

  constructor(
    readonly storage: Storage,
    private readonly timeoutMs: number,
    private readonly counters: StorageCounters = newStorageCounters(),
    private readonly maxBytes: number = MAX_RESPONSE_BYTES,
    private readonly retry: RetryPolicy = NO_RETRY,
  ) {
    this.baseUrl = storageBaseUrl(storage);
  }

  getHosts(): Promise<z.infer<typeof HostsResponse>> {
    return this.get('/hosts', {}, HostsResponse);
  }
  getHostInfo(hostid: string): Promise<LegacyHostInfo> {
    return this.get('/hinfo', { host: hostid }, LegacyHostInfo);
  }
  getPluginList(hostid: string): Promise<z.infer<typeof ListResponse>> {
    return this.get('/list', { host: hostid }, ListResponse);
  }
  /** The `/list` of many hosts (at most MAX_HOSTS_PER_LISTS) in one request; unknown hosts are left out. */
  getPluginLists(hostids: readonly string[]): Promise<z.infer<typeof ListsResponse>> {
    return this.get('/lists', { hosts: hostids.join(',') }, ListsResponse);
  }
  getPluginInfo(hostid: string, plugin: string): Promise<LegacyPluginInfo> {
    return this.get('/info', { host: hostid, plugin }, LegacyPluginInfo);
  }
  getData(hostid: string, plugin: string, ds: readonly string[], query: DataQuery): Promise<DataResponse> {
    const params: Record<string, string> = { host: hostid, plugin, ds: ds.join(',') };
    if (query.from !== undefined) params.from = String(query.from);
    if (query.until !== undefined) params.until = String(query.until);
    if (query.from === undefined || query.res) params.res = query.res ?? 'Daily';
    if (query.maxDataPoints !== undefined) params.maxDataPoints = String(query.maxDataPoints);
    return this.get('/data', params, DataResponse);
  }

  private headers(): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.storage.token) headers.authorization = `Bearer ${this.storage.token}`;
    else if (this.storage.login)
      headers.authorization = `Basic ${Buffer.from(`${this.storage.login}:${this.storage.password}`).toString('base64')}`;
    return headers;
  }

  private async get<S extends z.ZodTypeAny>(path: string, params: Record<string, string>, schema: S): Promise<z.output<S>> {
    this.counters.requests++;
    try {
      return await this.request(path, params, schema);
    } catch (error) {
      if (error instanceof StorageBusyError) this.counters.gaveUp++;
      if (error instanceof StorageNotFoundError) this.counters.notFound++;
      else if (error instanceof StorageRequestError) this.counters.rejected++;
      else this.counters.unavailable++;
      throw error;
    }
  }

  private async request<S extends z.ZodTypeAny>(path: string, params: Record<string, string>, schema: S): Promise<z.output<S>> {
    const url = `${this.baseUrl}${path}?${new URLSearchParams(params)}`;
    const name = this.storage.name;
    const { status, text } = await this.fetchRetried(url, path);
    const body = parseJson(text);
    if (status === 404 || status === 400) {
      // Only the storage's own JSON errors count as answers; an HTML 404 means a wrong address or prefix.
      const parsed = ErrorResponse.safeParse(body);
      if (!parsed.success)
        throw new StorageUnavailableError(`storage "${name}" is not a storage API: HTTP ${status} on ${path}`, name, {
          detail: `at ${this.baseUrl}`,
        });
      if (status === 404) throw new StorageNotFoundError(`storage "${name}": ${parsed.data.error}`, name);
      throw new StorageRequestError(`storage "${name}" rejected the request: ${parsed.data.error}`, name, parsed.data.parameter);
    }
    if (status < 200 || status > 299)
      throw new StorageUnavailableError(`storage "${name}" failed: HTTP ${status} on ${path}`, name, { detail: `at ${this.baseUrl}` });
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new StorageUnavailableError(
        `storage "${name}" sent an invalid ${path} response: ${issue?.path.join('.') || '(body)'}: ${issue?.message ?? 'not JSON'}`,
        name,
        { cause: parsed.error },
      );
    }
    return parsed.data;
  }

  /** fetchText, asked again after a 429 or 503 as the retry policy allows (see retry.ts). */
  private async fetchRetried(url: string, path: string): Promise<{ status: number; text: string }> {
    const policy = this.retry;
    const started = policy.now();
    let waited = 0;
    for (let attempt = 1; ; attempt++) {
      const answer = await this.fetchText(url);
      if (!RETRIED_STATUSES.has(answer.status)) return answer;
      const now = policy.now();
      // The sum of the waits bounds the loop even if the clock stands still (a pinned test clock).
      const elapsed = Math.max(now - started, waited);
      const wait = waitBeforeRetry(policy, attempt, retryAfterMs(answer.retryAfter, now));
      if (elapsed + wait > policy.deadlineMs || wait <= 0) {
        const said = ErrorResponse.safeParse(parseJson(answer.text));
        throw new StorageBusyError(this.storage.name, answer.status, path, attempt, elapsed / 1000, {
          detail: `at ${this.baseUrl}${said.success ? `: ${said.data.error}` : ''}`,
        });
      }
      this.counters.retried++;
      waited += wait;
      await policy.sleep(wait);
    }
  }

  /** Status and body text; the body is counted as it streams and cut at MAX_RESPONSE_BYTES. */
  private async fetchText(url: string): Promise<{ status: number; text: string; retryAfter: string | null }> {
    const name = this.storage.name;
    try {
      const response = await fetch(url, { headers: this.headers(), signal: AbortSignal.timeout(this.timeoutMs), redirect: 'error' });
      return { status: response.status, text: await readCapped(response, this.maxBytes), retryAfter: response.headers.get('retry-after') };
    } catch (error) {
      if (error instanceof AnswerTooLargeError)
        throw new StorageUnavailableError(`storage "${name}" sent an answer larger than ${this.maxBytes} bytes`, name, { cause: error });
      const timedOut = (error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError';
      throw new StorageUnavailableError(
        timedOut ? `storage "${name}" unreachable: no answer within ${this.timeoutMs} ms` : `storage "${name}" unreachable`,
        name,
        { cause: error, detail: `${this.baseUrl}: ${describeFetchError(error)}` },
      );
    }
  }
}

export class AnswerTooLargeError extends Error {
  constructor(limit: number) {
    super(`answer larger than ${limit} bytes`);
    this.name = 'AnswerTooLargeError';
  }
}

/** The body as text, aborted as soon as it passes `limit` bytes (Content-Length or not). */
export async function readCapped(response: Response, limit: number): Promise<string> {
  if (Number(response.headers.get('content-length') ?? 0) > limit) {
    await response.body?.cancel();
    throw new AnswerTooLargeError(limit);
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new AnswerTooLargeError(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function describeFetchError(error: unknown): string {
  const e = error as Error & { cause?: { code?: string; message?: string } };
  return e.cause?.message ?? e.cause?.code ?? e.message;
}
