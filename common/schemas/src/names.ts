import { z } from 'zod';

/**
 * Names that arrive from pollers (host IDs, plugin names, data-source names) end up in
 * file paths, Redis keys, HTML and URLs. They are checked here, once, for every user.
 * Munin multigraph sub-graphs are named `parent.child`, so dots are allowed inside a
 * name, but never a name made only of dots, a slash, a backslash, NUL or any control
 * character.
 */
export const MAX_NAME_LENGTH = 200;

// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const FORBIDDEN_CHARS = /[\u0000-\u001f\u007f/\\]/;

export function nameProblem(name: string): string | null {
  if (name.length === 0) return 'is empty';
  if (name.length > MAX_NAME_LENGTH) return `is longer than ${MAX_NAME_LENGTH} characters`;
  if (FORBIDDEN_CHARS.test(name)) return 'contains "/", "\\", NUL or a control character';
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
