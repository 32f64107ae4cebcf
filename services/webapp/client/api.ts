/** REST calls with the session cookie and the CSRF token of the page (`<meta name="csrf-token">`). */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    /** The body field or query parameter the server names as wrong (`name`, `sources.0`, …). */
    readonly field?: string,
  ) {
    super(message);
  }
}

function csrf(): string {
  return document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? '';
}

/** `signal` aborts the request (a newer search replaces it): the promise then rejects with an AbortError. */
export async function api<T>(method: string, url: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (method !== 'GET') headers['X-CSRF-Token'] = csrf();
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(url, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  });
  if (res.status === 204) return undefined as T;
  const parsed = (await res.json().catch(() => ({ error: `${res.status} ${res.statusText}` }))) as { error?: string; field?: string };
  if (!res.ok) throw new ApiError(res.status, parsed.error ?? `${res.status} ${res.statusText}`, parsed.field);
  return parsed as T;
}

/** Build an element with text content only: data never goes through innerHTML. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (className) e.className = className;
  return e;
}
