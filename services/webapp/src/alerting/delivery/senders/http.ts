import { HttpStatusError, SendError } from '../errors.js';

/** What a failed answer's body may add to the error: enough to see why, never the whole of it. */
const ERROR_BODY_BYTES = 300;

/**
 * POSTs a JSON body; resolves on a 2xx answer. Redirects are refused rather than followed
 * (a receiver moved is a configuration to fix, and a POST must not silently become a GET).
 * `signal` ends the request (the dispatcher's send timeout or its stop).
 */
export async function postJson(url: string, body: unknown, signal: AbortSignal): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'numeter-webapp alerting' },
      body: JSON.stringify(body),
      redirect: 'manual',
      signal,
    });
  } catch (error) {
    throw new SendError(`POST ${safeUrl(url)} failed`, false, { cause: (error as Error).cause ?? error });
  }
  if (response.status >= 200 && response.status < 300) {
    await response.body?.cancel();
    return;
  }
  throw new HttpStatusError(response.status, await bodyStart(response));
}

/** The first bytes of the answer as one line; the rest is not read. */
async function bodyStart(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < ERROR_BODY_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch {
    // the body is a hint; its absence is not the error
  } finally {
    await reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).subarray(0, ERROR_BODY_BYTES).toString('utf8').replace(/\s+/g, ' ').trim();
}

/** Where a URL points, for messages and the contact's last_error: its origin only (Slack's URLs carry their token in the path). */
export function safeUrl(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}
