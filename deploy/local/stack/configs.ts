import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configDir, type PollerSpec, pollerDir, type StackOptions, type StorageSpec, storageDir } from './options.js';

/**
 * Writes each service's INI file into the state dir (0600: they hold passwords). The
 * services read them with their own loaders, exactly as in production.
 */
export type IniSections = Record<string, Record<string, string>>;

export function formatIni(sections: IniSections, header: string): string {
  const lines = [`# ${header}`, '# Written by the numeter stack at each start; edit deploy/local/stack/configs.ts instead.', ''];
  for (const [section, values] of Object.entries(sections)) {
    lines.push(`[${section}]`);
    for (const [key, value] of Object.entries(values)) lines.push(`${key} = ${value}`);
    lines.push('');
  }
  return lines.join('\n');
}

function merge(base: IniSections, extra: IniSections | undefined): IniSections {
  const out: IniSections = structuredClone(base);
  for (const [section, values] of Object.entries(extra ?? {})) out[section] = { ...out[section], ...values };
  return out;
}

function write(options: StackOptions, file: string, sections: IniSections, header: string): string {
  mkdirSync(configDir(options), { recursive: true, mode: 0o700 });
  const path = join(configDir(options), file);
  writeFileSync(path, formatIni(sections, header), { mode: 0o600 });
  return path;
}

/**
 * Two storages must not share one Redis index (each would list the other's hosts): with
 * several storages on one Redis each gets `<prefix><name>:`.
 */
export function redisPrefixOf(options: StackOptions, storage: StorageSpec): string {
  return options.storages.length > 1 ? `${options.redis.prefix}${storage.name}:` : options.redis.prefix;
}

export function writeStorageConfig(options: StackOptions, storage: StorageSpec): string {
  const dir = storageDir(options, storage);
  mkdirSync(join(dir, 'wsps'), { recursive: true });
  const hostListFile = join(dir, 'host-list');
  writeFileSync(hostListFile, `${(storage.hostList ?? []).join('\n')}\n`);
  const amqp = new URL(options.amqpUrl);
  const sections: IniSections = {
    global: {
      storage_name: storage.name,
      log_level: 'info',
      redis_storage_host: options.redis.host,
      redis_storage_port: String(options.redis.port),
      redis_storage_db: String(options.redis.db),
      redis_key_prefix: redisPrefixOf(options, storage),
      host_list_file: hostListFile,
      wsp_path: join(dir, 'wsps'),
      rpc_password: decodeURIComponent(amqp.password) || 'guest',
    },
    amqp: { url: options.amqpUrl },
    api: { listen: '127.0.0.1', port: String(storage.apiPort) },
  };
  if (options.retentions) {
    const schemas = join(dir, 'storage-schemas.conf');
    writeFileSync(schemas, `[everything]\npattern = .*\nretentions = ${options.retentions}\n`);
    sections.whisper = { schemas_file: schemas };
  }
  return write(options, `numeter_storage_${storage.name}.cfg`, merge(sections, storage.extra), `numeter-storage ${storage.name}`);
}

export function writeWebappConfig(options: StackOptions, secrets: { dbPassword: string; secretKey: string }): string {
  const db = options.database;
  const sections: IniSections = {
    database: {
      host: db.host,
      port: String(db.port),
      user: db.appUser ?? db.adminUser,
      password: db.appUser ? secrets.dbPassword : db.adminPassword,
      name: db.name,
    },
    web: { listen: '127.0.0.1', port: String(options.webappPort), secret_key: secrets.secretKey },
    storage: { timeout: '5', hosts_cache: '5' },
    alerting: alertingSection(options.amqpUrl),
    logging: { level: 'info' },
  };
  return write(options, 'numeter_webapp.cfg', sections, 'numeter-webapp');
}

/** The alerting engine consumes the stack's broker (its vhost too); user and password as their own keys. */
function alertingSection(amqpUrl: string): Record<string, string> {
  const url = new URL(amqpUrl);
  const user = decodeURIComponent(url.username) || 'guest';
  const password = decodeURIComponent(url.password) || 'guest';
  url.username = '';
  url.password = '';
  return { enabled: 'true', amqp_url: url.toString(), amqp_user: user, amqp_password: password };
}

export function writePollerConfig(options: StackOptions, poller: PollerSpec): string {
  const dir = pollerDir(options, poller);
  mkdirSync(dir, { recursive: true });
  const sections: IniSections = {
    global: {
      poller_time: String(poller.pollerTime),
      plugins_refresh_time: String(Math.max(poller.pollerTime * 4, 5)),
      jitter: '0',
      modules: poller.modules,
      amqp_url: poller.amqpUrl ?? options.amqpUrl,
      state_dir: dir,
      log_level: 'info',
      stop_deadline: '5',
    },
    myinfo: { ...(poller.hostId && { host_id: poller.hostId }), ...(poller.hostName && { name: poller.hostName }) },
    muninmodule: { munin_host: '127.0.0.1', munin_port: String(poller.muninPort ?? 4949) },
  };
  return write(options, `numeter_poller_${poller.name}.cfg`, merge(sections, poller.extra), `numeter-poller ${poller.name}`);
}
