import type { LegacyHostInfo, LegacyPluginInfo } from '../../../../common/schemas/index.js';

/**
 * How the values of the keys in keys.ts are written and read, in one place: the index
 * writer encodes with these, the index reader decodes with these. Everything read back
 * may have been written by a poller (names) or by another program (the original Numeter),
 * so decoding never throws: what is not the expected shape decodes to `undefined`.
 */
export type JsonObject = Record<string, unknown>;

/** Where a host's files live (HOST_ID and WSP_PATH), as fixed at first sight. */
export interface HostLocation {
  hostId: string;
  /** md5 prefix directory (HOST_ID). */
  hash: string;
  /** Absolute host directory (WSP_PATH). */
  dir: string;
}

/** The field of DELETED_PLUGINS (the original's `<host>@<plugin>`). */
export function deletedPluginField(hostId: string, plugin: string): string {
  return `${hostId}@${plugin}`;
}

/** HOSTS value: the MyInfo with the original's hostIDHash and HostIDFiltredName (the directory's name). */
export function encodeHostInfo(info: LegacyHostInfo, location: HostLocation): string {
  return JSON.stringify({ ...info, hostIDHash: location.hash, HostIDFiltredName: basename(location.dir) });
}

/** The HOSTS entry of a host known only from its data or from its files. */
export function placeholderHostInfo(location: HostLocation): LegacyHostInfo {
  return { Plugin: 'MyInfo', ID: location.hostId, Name: location.hostId, Description: '' };
}

export function encodePluginInfo(info: LegacyPluginInfo): string {
  return JSON.stringify(info);
}

/**
 * The info served for a plugin the index knows only from its files (DS@): enough for
 * `/list`, `/info` and `/data` until the poller sends the real one.
 */
export function placeholderPluginInfo(plugin: string, dataSources: readonly string[]): LegacyPluginInfo {
  const infos: LegacyPluginInfo['Infos'] = Object.create(null);
  for (const ds of dataSources) infos[ds] = { id: ds, label: ds };
  return { Plugin: plugin, Title: plugin, Describ: '', Vlabel: '', Base: '1000', Order: '', Category: 'other', Infos: infos };
}

/** A JSON object (HOSTS and INFOS@ values), or undefined for anything else. */
export function decodeJsonObject(raw: string | null | undefined): JsonObject | undefined {
  const value = safeParse(raw);
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
}

/** DS@ values: a JSON array of names (the writer keeps it sorted and unique; the reader tolerates anything). */
export function decodeDataSources(raw: string | null | undefined): string[] {
  const list = safeParse(raw);
  return Array.isArray(list) ? list.filter((item): item is string => typeof item === 'string') : [];
}

/** LAST_SEEN values: epoch seconds; NaN when unreadable (never older, never newer than anything). */
export function decodeEpoch(raw: string | null | undefined): number {
  return raw === null || raw === undefined || raw === '' ? Number.NaN : Number(raw);
}

export function encodeEpoch(seconds: number): string {
  return String(Math.floor(seconds));
}

/** The index-complete marker: written when a rebuild (or a first start) finished; gone = the index was lost. */
export function encodeIndexMarker(rebuiltAt: number): string {
  return JSON.stringify({ rebuiltAt: Math.floor(rebuiltAt) });
}

function safeParse(raw: string | null | undefined): unknown {
  if (raw === null || raw === undefined) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

function basename(dir: string): string {
  return dir.slice(dir.lastIndexOf('/') + 1);
}
