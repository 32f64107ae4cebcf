import { isUtf8 } from 'node:buffer';
import {
  DataMessage,
  describeIssues,
  FieldType,
  HostInfoMessage,
  jsonDepth,
  LIMITS,
  type Message,
  PluginInfoMessage,
} from '../../../../common/schemas/index.js';

/**
 * The original Numeter wire format (numeter-original.md §2.2), converted to v1 messages:
 *   envelope {"oslo.version":"2.0","oslo.message":"<json>"}
 *   → oslo message {"method":"poller_msg","args":{"args":{"message":"<json>"}},
 *                   "_context_type":"data"|"info","_context_hostid":H,"_context_plugin":P,...}
 *   → payload: data {"TimeStamp":"<digits>","Plugin":P,"Values":{ds:"<number>"|"U"}}
 *            | MyInfo {"Plugin":"MyInfo","ID","Name","Description"}
 *            | plugin info {"Plugin","Title","Describ","Vlabel","Base","Order","Category","Infos":{...}}
 * The host is the context's `hostid`, as the original storage used it. Every level is
 * size- and depth-checked before parsing, and the result is validated by the v1 schemas.
 */
export type LegacyDecodeResult = { ok: true; message: Message } | { ok: false; reason: string };

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Cheap test: does this body look like an oslo.messaging envelope? */
export function looksLikeOsloEnvelope(body: Buffer): boolean {
  const head = body.subarray(0, 256).toString('latin1');
  return head.includes('"oslo.message"') || head.includes('"oslo.version"');
}

export function decodeLegacyEnvelope(body: Buffer, now: number): LegacyDecodeResult {
  if (body.length > LIMITS.maxMessageBytes) return fail(`envelope of ${body.length} bytes exceeds ${LIMITS.maxMessageBytes}`);
  if (!isUtf8(body)) return fail('envelope is not valid UTF-8');
  const outer = parseLevel(body.toString('utf8'), 'envelope');
  if (!outer.ok) return outer;
  const inner = parseLevel(field(outer.value, 'oslo.message'), 'oslo.message');
  if (!inner.ok) return inner;
  const msg = inner.value as Record<string, unknown>;
  if (msg.method !== 'poller_msg') return fail(`oslo method ${JSON.stringify(msg.method)} is not poller_msg`);
  const type = msg._context_type;
  const hostId = msg._context_hostid;
  if (typeof hostId !== 'string') return fail('oslo context has no string _context_hostid');
  const args = (msg.args as { args?: { message?: unknown } } | undefined)?.args;
  const payload = parseLevel(args?.message, 'args.args.message');
  if (!payload.ok) return payload;
  const p = payload.value as Record<string, unknown>;
  if (type === 'data') return legacyData(hostId, p);
  if (type === 'info') return p.Plugin === 'MyInfo' ? legacyHostInfo(hostId, p, now) : legacyPluginInfo(hostId, p, now);
  return fail(`oslo _context_type ${JSON.stringify(type)} is neither data nor info`);
}

function legacyData(hostId: string, p: Record<string, unknown>): LegacyDecodeResult {
  const ts = p.TimeStamp;
  if (typeof ts !== 'string' || !/^\d{1,20}$/.test(ts)) return fail(`TimeStamp ${JSON.stringify(ts)} is not a string of digits`);
  const rawValues = p.Values;
  if (!isPlainObject(rawValues)) return fail('Values is not an object');
  const values: Record<string, number | null> = {};
  for (const [ds, raw] of Object.entries(rawValues)) {
    const value = legacyValue(raw);
    if (value === undefined)
      return fail(`Values.${ds.slice(0, 80)}: ${JSON.stringify(raw).slice(0, 40)} is neither a finite number nor "U"`);
    values[ds] = value;
  }
  return validated(DataMessage, { v: 1, kind: 'data', hostId, points: [{ plugin: p.Plugin, timestamp: Number(ts), values }] });
}

/** "U" (munin's unknown) → null; numeric strings and finite numbers → number; else undefined. */
export function legacyValue(raw: unknown): number | null | undefined {
  if (raw === 'U' || raw === null) return null;
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined;
  if (typeof raw === 'string' && DECIMAL.test(raw.trim())) {
    const n = Number(raw.trim());
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function legacyHostInfo(hostId: string, p: Record<string, unknown>, now: number): LegacyDecodeResult {
  if (typeof p.Name !== 'string' || p.ID === undefined) return fail('MyInfo needs ID and Name');
  return validated(HostInfoMessage, {
    v: 1,
    kind: 'host',
    hostId,
    timestamp: now,
    name: p.Name,
    description: typeof p.Description === 'string' ? p.Description : '',
  });
}

function legacyPluginInfo(hostId: string, p: Record<string, unknown>, now: number): LegacyDecodeResult {
  if (!isPlainObject(p.Infos) || Object.keys(p.Infos).length === 0)
    return fail('plugin info without Infos (the original refused these too)');
  const fields: Record<string, unknown> = {};
  for (const [ds, attrs] of Object.entries(p.Infos)) {
    if (!isPlainObject(attrs)) return fail(`Infos.${ds.slice(0, 80)} is not an object`);
    fields[ds] = legacyField(ds, attrs);
  }
  const order = typeof p.Order === 'string' ? p.Order.split(/\s+/).filter(Boolean) : [];
  return validated(PluginInfoMessage, {
    v: 1,
    kind: 'info',
    hostId,
    plugin: p.Plugin,
    timestamp: now,
    title: typeof p.Title === 'string' ? p.Title : String(p.Plugin),
    vlabel: text(p.Vlabel),
    base: String(p.Base) === '1024' ? 1024 : 1000,
    category: typeof p.Category === 'string' && p.Category ? p.Category : 'other',
    order,
    info: text(p.Describ),
    fields,
  });
}

const STRING_ATTRIBUTES = ['cdef', 'warning', 'critical', 'info'] as const;

/** munin attributes arrive as strings; the typed ones are parsed, anything odd goes to `extra`. */
function legacyField(ds: string, attrs: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { label: text(attrs.label) || ds };
  const extra: Record<string, string> = {};
  for (const [key, raw] of Object.entries(attrs)) {
    if (key === 'id' || key === 'label') continue;
    const value = typeof raw === 'string' ? raw : JSON.stringify(raw);
    if (key === 'type' && FieldType.safeParse(value).success) out.type = value;
    else if (key === 'draw' && /^(LINE[0-3]?|AREA|STACK|AREASTACK|LINESTACK[0-3]?)$/.test(value)) out.draw = value;
    else if (key === 'colour' && /^[0-9A-Fa-f]{6}$/.test(value)) out.colour = value;
    else if ((key === 'min' || key === 'max') && legacyValue(value) != null) out[key] = legacyValue(value);
    else if (key === 'graph' && /^(yes|no)$/i.test(value)) out.graph = value.toLowerCase() === 'yes';
    else if ((STRING_ATTRIBUTES as readonly string[]).includes(key)) out[key] = value;
    else if (key === 'negative') out.negative = value;
    else extra[key] = value;
  }
  if (Object.keys(extra).length) out.extra = extra;
  return out;
}

function validated(schema: typeof DataMessage | typeof HostInfoMessage | typeof PluginInfoMessage, raw: unknown): LegacyDecodeResult {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) return fail(`legacy message: ${describeIssues(parsed.error.issues)}`);
  return { ok: true, message: parsed.data as Message };
}

type Level = { ok: true; value: Record<string, unknown> } | { ok: false; reason: string };

function parseLevel(textValue: unknown, what: string): Level {
  if (typeof textValue !== 'string') return fail(`${what} is not a JSON string`);
  if (Buffer.byteLength(textValue) > LIMITS.maxMessageBytes) return fail(`${what} exceeds ${LIMITS.maxMessageBytes} bytes`);
  const depth = jsonDepth(textValue);
  if (depth > LIMITS.maxJsonDepth) return fail(`${what}: JSON nested ${depth} deep, more than ${LIMITS.maxJsonDepth}`);
  let value: unknown;
  try {
    value = JSON.parse(textValue);
  } catch (error) {
    return fail(`${what}: invalid JSON: ${(error as Error).message}`);
  }
  if (!isPlainObject(value)) return fail(`${what} is not a JSON object`);
  return { ok: true, value };
}

function field(obj: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string {
  return typeof value === 'string' ? value.slice(0, LIMITS.maxTextLength) : '';
}

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}
