import { type DataMessage, LIMITS, MAX_TIMESTAMP, MESSAGE_VERSION, MIN_TIMESTAMP } from './messages.js';
import { nameProblem } from './names.js';

/**
 * The storage's hot path: a hand-written check of a JSON-parsed `DataMessage` that
 * accepts only what the zod schema accepts, and returns the parsed value itself (zod
 * would copy every object: most of the garbage at 100,000 points/s). It answers "valid"
 * or "not sure": anything it does not recognise (a wrong type, a bad name, an unknown
 * key, `__proto__`) returns null and the caller asks zod, which then gives the verdict
 * and its error message. So the fast path may be stricter than zod, never looser;
 * `test/fast-data.test.ts` checks that with random valid and invalid messages.
 */
export function fastDataMessage(raw: unknown): DataMessage | null {
  if (!isPlainObject(raw)) return null;
  const m = raw as Record<string, unknown>;
  if (m.v !== MESSAGE_VERSION || m.kind !== 'data' || !isKnownSafeName(m.hostId)) return null;
  if (!hasOnlyKeys(m, MESSAGE_KEYS)) return null;
  const points = m.points;
  if (!Array.isArray(points) || points.length < 1 || points.length > LIMITS.maxPointsPerMessage) return null;
  for (let i = 0; i < points.length; i++) if (!isDataPoint(points[i])) return null;
  return raw as DataMessage;
}

const MESSAGE_KEYS = new Set(['v', 'kind', 'hostId', 'points']);
const POINT_KEYS = new Set(['plugin', 'timestamp', 'values']);

function isDataPoint(raw: unknown): boolean {
  if (!isPlainObject(raw)) return false;
  const p = raw as Record<string, unknown>;
  if (!isKnownSafeName(p.plugin) || !isTimestamp(p.timestamp) || !hasOnlyKeys(p, POINT_KEYS)) return false;
  if (!isPlainObject(p.values)) return false;
  const values = p.values as Record<string, unknown>;
  let count = 0;
  for (const key in values) {
    if (!Object.hasOwn(values, key) || !isKnownSafeName(key)) return false;
    const value = values[key];
    if (value !== null && !(typeof value === 'number' && Number.isFinite(value))) return false;
    count++;
  }
  return count <= LIMITS.maxValuesPerPoint;
}

/** `timestampSeconds`: whole seconds in 2000..2100 (milliseconds are far outside). */
function isTimestamp(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= MIN_TIMESTAMP && value <= MAX_TIMESTAMP;
}

/** Exactly these keys, all own and present (zod's `.strict()` with every key required). */
function hasOnlyKeys(object: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  let count = 0;
  for (const key in object) {
    if (!allowed.has(key) || !Object.hasOwn(object, key)) return false;
    count++;
  }
  return count === allowed.size;
}

/** Own prototype is Object.prototype: what JSON.parse builds for `{...}`, nothing exotic. */
function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/**
 * Names repeat in every message (host IDs, plugins, data sources), so the ones found safe
 * are remembered; `__proto__` is never fast-tracked (zod drops it from records).
 */
const knownSafe = new Set<string>();
const MAX_KNOWN_SAFE = 100_000;

function isKnownSafeName(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  if (knownSafe.has(value)) return true;
  if (value === '__proto__' || nameProblem(value) !== null) return false;
  if (knownSafe.size >= MAX_KNOWN_SAFE) knownSafe.clear();
  knownSafe.add(value);
  return true;
}
