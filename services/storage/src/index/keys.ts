/**
 * Every Redis key pattern of the storage, in one place (their values: codecs.ts). The first six are the original
 * Numeter's (same names, same value shapes) so existing tooling keeps working; the rest
 * are new. `prefix` is empty in production (the original had none); tests set one so
 * they never collide.
 */
export interface RedisKeys {
  /** hash: hostId → legacy MyInfo JSON (+ hostIDHash, HostIDFiltredName). */
  hosts: string;
  /** hash: plugin → legacy plugin info JSON (the `/info` body). */
  infos(hostId: string): string;
  /** hash: hostId → md5 prefix used as the first directory level (fixed at first sight). */
  hostIdHash: string;
  /** hash: hostId → absolute directory of the host's files. */
  wspPath: string;
  /** hash: hostId → directory, for hosts not seen for the configured time. */
  deletedHosts: string;
  /** hash: `<hostId>@<plugin>` → directory, for plugins not seen for the configured time. */
  deletedPlugins: string;
  /** hash: hostId → epoch seconds of the newest data or info received (new). */
  lastSeenHosts: string;
  /** hash: plugin → epoch seconds of the newest data or info received (new). */
  lastSeenPlugins(hostId: string): string;
  /** hash: plugin → JSON array of data-source names that have a .wsp file (new). */
  dataSources(hostId: string): string;
  /**
   * string: present once the index holds everything the files hold (a rebuild or a first
   * start finished). Its absence means the index was lost (flushed, new server): rebuild (new).
   */
  indexMarker: string;
}

export function redisKeys(prefix = ''): RedisKeys {
  return {
    hosts: `${prefix}HOSTS`,
    infos: (hostId) => `${prefix}INFOS@${hostId}`,
    hostIdHash: `${prefix}HOST_ID`,
    wspPath: `${prefix}WSP_PATH`,
    deletedHosts: `${prefix}DELETED_HOSTS`,
    deletedPlugins: `${prefix}DELETED_PLUGINS`,
    lastSeenHosts: `${prefix}LAST_SEEN`,
    lastSeenPlugins: (hostId) => `${prefix}LAST_SEEN@${hostId}`,
    dataSources: (hostId) => `${prefix}DS@${hostId}`,
    indexMarker: `${prefix}NUMETER_INDEX`,
  };
}
