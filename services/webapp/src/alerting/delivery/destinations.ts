import type { ContactSettings } from '../../../../../common/schemas/index.js';

/**
 * Who may point the server at what (docs/security.md, "Alert contacts"). A webhook, Slack or
 * Alertmanager contact makes the webapp POST to a URL of the contact's choosing, from inside
 * the network, and a command runs a program: a non-superuser who could choose freely would
 * reach internal services (SSRF) and read their answers in the contact's error. So:
 *
 * - superusers create any contact;
 * - other users create mail contacts, and HTTP contacts only to a host named in
 *   `[delivery] user_destinations` (exact host names, `*.example.org` for the subdomains of a
 *   name; empty, the default: none), over http or https, to the default port of the scheme or
 *   one named with the host (`hooks.example.org:8443`);
 * - never command contacts.
 *
 * A host name, not an address, is what is allowed: numeter resolves it as the receiver would,
 * and whoever writes the list decides which names they trust.
 */
export interface DestinationPolicy {
  /** Why a non-superuser may not create this contact, or null when they may. */
  refusal(settings: ContactSettings): string | null;
}

interface AllowedHost {
  name: string;
  /** `*.name`: the subdomains of `name` (not `name` itself). */
  subdomains: boolean;
  /** null: the scheme's default port only. */
  port: string | null;
}

export class DestinationListError extends Error {
  constructor(readonly entry: string) {
    super(`${JSON.stringify(entry.slice(0, 80))} is not a host name, *.domain or host:port`);
    this.name = 'DestinationListError';
  }
}

const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** `[delivery] user_destinations` read; throws DestinationListError naming the first bad entry. */
export function parseDestinations(text: string): AllowedHost[] {
  const out: AllowedHost[] = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    const m = /^(\*\.)?([^:]+)(?::(\d{1,5}))?$/.exec(entry);
    if (!m || !HOST_NAME.test(m[2]) || (m[3] !== undefined && (Number(m[3]) < 1 || Number(m[3]) > 65535)))
      throw new DestinationListError(raw.trim());
    out.push({ name: m[2], subdomains: m[1] !== undefined, port: m[3] ?? null });
  }
  return out;
}

export function destinationPolicy(userDestinations: string): DestinationPolicy {
  const allowed = parseDestinations(userDestinations);
  const permits = (url: URL) => {
    const host = url.hostname.toLowerCase();
    const port = url.port === '' ? null : url.port;
    return allowed.some((a) => (a.subdomains ? host.endsWith(`.${a.name}`) : host === a.name) && a.port === port);
  };
  return {
    refusal(settings) {
      if (settings.kind === 'email') return null;
      if (settings.kind === 'command') return 'settings.kind: command contacts run programs on the server: superusers create them';
      let url: URL;
      try {
        url = new URL(settings.url);
      } catch {
        return 'settings.url: not a URL';
      }
      if (!['http:', 'https:'].includes(url.protocol)) return 'settings.url: http or https only';
      if (url.username || url.password) return 'settings.url: no user or password in the URL';
      if (!permits(url))
        return allowed.length
          ? `settings.url: ${url.host} is not among the destinations users may use ([delivery] user_destinations); ask a superuser`
          : `settings.kind: ${settings.kind} contacts are created by superusers (no [delivery] user_destinations set)`;
      return null;
    },
  };
}

/**
 * A contact's last error as its owner sees it when not a superuser: what kind of failure, not
 * the receiver's words (the body of an internal service's answer, a resolver's or relay's
 * message). Superusers see the whole text. Our own error texts are made in errors.ts and
 * senders/, so their beginnings are known.
 */
export function ownerErrorText(text: string | null): string | null {
  if (text === null) return null;
  const status = /^HTTP (\d{3})\b/.exec(text);
  if (status) return `the receiver answered HTTP ${status[1]}`;
  if (/^no answer within \d+ ms/.test(text)) return 'no answer in time';
  if (/^mail through /.test(text)) return 'the mail relay refused or failed the mail';
  return 'the receiver could not be reached or refused the notification';
}
