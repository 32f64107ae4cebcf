import { createHash } from 'node:crypto';
import { toFieldName } from '../../../../../common/schemas/index.js';

/**
 * Gives untrusted names (VM names, peer names) safe, stable field names. A key (a VM's
 * UUID) keeps its field name from poll to poll while its raw name does not change, so a
 * VM appearing later whose name maps to the same field (`web-1` and `web.1` both give
 * `web_1`) never takes over the graph of the one already there: the newcomer gets
 * `web_1_<6 hex of its key>`, a suffix that depends only on its own key.
 */
export class StableFieldNames {
  private readonly assigned = new Map<string, { raw: string; field: string }>();

  constructor(
    saved: Record<string, { raw: string; field: string }> = {},
    private readonly maxLength = 180,
  ) {
    for (const [key, entry] of Object.entries(saved)) {
      if (entry && typeof entry.raw === 'string' && typeof entry.field === 'string' && entry.field === toFieldName(entry.field))
        this.assigned.set(key, entry);
    }
  }

  /** Field names for the keys present now; keys not present are forgotten. */
  assign(entries: ReadonlyArray<{ key: string; raw: string }>): Map<string, string> {
    const present = new Set(entries.map((entry) => entry.key));
    for (const key of [...this.assigned.keys()]) if (!present.has(key)) this.assigned.delete(key);
    for (const entry of entries) {
      const known = this.assigned.get(entry.key);
      if (known && known.raw !== entry.raw) this.assigned.delete(entry.key); // renamed: named after its new name
    }
    const taken = new Set([...this.assigned.values()].map((entry) => entry.field));
    const out = new Map<string, string>();
    // Sorted so that two newcomers in the same poll resolve the same way on every poller.
    for (const entry of [...entries].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
      let field = this.assigned.get(entry.key)?.field;
      if (!field) {
        const base = toFieldName(entry.raw).slice(0, this.maxLength);
        field = taken.has(base) ? `${base.slice(0, this.maxLength - 7)}_${shortHash(entry.key)}` : base;
        for (let n = 2; taken.has(field); n++) field = `${base.slice(0, this.maxLength - 12)}_${shortHash(entry.key)}_${n}`;
        this.assigned.set(entry.key, { raw: entry.raw, field });
        taken.add(field);
      }
      out.set(entry.key, field);
    }
    return out;
  }

  toJSON(): Record<string, { raw: string; field: string }> {
    return Object.fromEntries(this.assigned);
  }
}

function shortHash(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 6);
}
