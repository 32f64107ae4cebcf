import { z } from 'zod';

/**
 * Names that arrive from pollers (host IDs, plugin names, data-source names) end up in
 * file paths, Redis keys, HTML and URLs. They are checked here, once, for every user.
 * Munin multigraph sub-graphs are named `parent.child`, so dots are allowed inside a
 * name, but never a name made only of dots, a slash, a backslash, NUL, a C0 or C1 control
 * character, or a lone UTF-16 surrogate (it has no UTF-8 form: two such names would
 * collide on one file name).
 *
 * The limit is in UTF-8 bytes, because each name is one path component and file systems
 * refuse components over 255 bytes (NAME_MAX) whatever their length in characters. 200
 * leaves room for what the storage adds: `<ds>.wsp.<pid>.creating` while a file is being
 * created (21 bytes), `_<8 hex>` after a host directory name that collides.
 */
export const MAX_NAME_BYTES = 200;
/** Characters of an ASCII name at most (toFieldName's names are ASCII). */
export const MAX_NAME_LENGTH = MAX_NAME_BYTES;
/** A UTF-16 code unit is at most 3 UTF-8 bytes: shorter names need no byte count. */
const SURELY_SHORT = Math.floor(MAX_NAME_BYTES / 3);

// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const FORBIDDEN_CHARS = /[\u0000-\u001f\u007f-\u009f/\\]/;
const LONE_SURROGATE = /\p{Cs}/u;

export function nameProblem(name: string): string | null {
  if (name.length === 0) return 'is empty';
  if (name.length > SURELY_SHORT && Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES)
    return `is longer than ${MAX_NAME_BYTES} bytes in UTF-8`;
  if (FORBIDDEN_CHARS.test(name)) return 'contains "/", "\\", NUL or a control character';
  if (LONE_SURROGATE.test(name)) return 'contains a lone UTF-16 surrogate (not valid Unicode)';
  if (/^\.+$/.test(name)) return 'is made only of dots';
  if (name !== name.trim()) return 'starts or ends with white space';
  return null;
}

export function isSafeName(name: string): boolean {
  return nameProblem(name) === null;
}

/** A zod string that must be a safe name; the message says what is wrong with it. */
export const safeName = z.string().superRefine((value, ctx) => {
  const problem = nameProblem(value);
  if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `name ${JSON.stringify(value.slice(0, 80))} ${problem}` });
});

/**
 * Maps any string (a VM name, a peer name, a munin field name with odd characters) to a
 * name that passes `isSafeName` and is also a valid munin field name
 * (`[A-Za-z_][A-Za-z0-9_]*`), the way munin's clean_fieldname does.
 */
export function toFieldName(raw: string): string {
  let name = raw.replace(/[^A-Za-z0-9_]/g, '_');
  if (!/^[A-Za-z_]/.test(name)) name = `_${name}`;
  return name.slice(0, MAX_NAME_LENGTH) || '_';
}
