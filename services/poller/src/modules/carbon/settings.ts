import { isIP } from 'node:net';
import { z } from 'zod';
import { IniProblem, iniBool, iniField, iniInt, iniNumber, shownIniValue } from '../../../../../common/config/index.js';
import { nodeIsSafe, parseTemplates, type Template, TemplateError } from './names.js';

/**
 * `[CarbonModule]` and the INI fields the StatsD module shares with it. Defaults live
 * here only (docs/collectors.md describes them; the config reference is generated).
 */
export interface ListenAddress {
  host: string;
  port: number;
  /** As written in the INI file (--print-config, the generated reference). */
  toString(): string;
}

/** `host:port`, `[v6]:port`, or `:port` (loopback). */
export function listenAddress(defaultValue: string) {
  const parse = (text: string): ListenAddress | IniProblem => {
    const match = /^(?:\[([^\]]+)\]|([^:\s]*)):(\d{1,5})$/.exec(text);
    const host = match ? (match[1] ?? match[2] ?? '') || '127.0.0.1' : '';
    const port = match ? Number(match[3]) : Number.NaN;
    if (!match || !(port >= 0 && port <= 65535) || (isIP(host) === 0 && !/^[A-Za-z0-9.-]+$/.test(host)))
      return new IniProblem(`${shownIniValue(text)} is not host:port or [v6 address]:port`);
    const shown = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    return { host, port, toString: () => shown };
  };
  return iniField(() => parse(defaultValue) as ListenAddress, parse);
}

export function templatesField() {
  return iniField<Template[]>([], (text) => {
    try {
      return parseTemplates(text);
    } catch (error) {
      if (error instanceof TemplateError) return new IniProblem(error.message);
      throw error;
    }
  });
}

/** A path prefix to strip: name nodes followed by a dot (`collectd.`), or empty. */
export function prefixField() {
  return iniField('', (text) => {
    const nodes = text.replace(/\.$/, '').split('.');
    if (!nodes.every(nodeIsSafe)) return new IniProblem(`${shownIniValue(text)} is not a path prefix like "collectd."`);
    return `${nodes.join('.')}.`;
  });
}

/** Keys both listener modules have. */
export const listenerKeys = {
  prefix: prefixField(),
  templates: templatesField(),
  max_line_length: iniInt(4096, 64, 65536),
  max_series: iniInt(100_000, 1, 10_000_000),
  log_interval: iniInt(60, 1, 86400),
};

export const carbonSection = z.object({
  listen: listenAddress('127.0.0.1:2003'),
  udp: iniBool(true),
  ...listenerKeys,
  flush_interval: iniNumber(1, 0.05, 60),
  max_connections: iniInt(1000, 1, 100_000),
  line_timeout: iniInt(60, 1, 3600),
  max_bad_lines: iniInt(1000, 1, 1_000_000),
  max_buffered_values: iniInt(1_000_000, 1000, 100_000_000),
});

export type CarbonSettings = z.output<typeof carbonSection>;
