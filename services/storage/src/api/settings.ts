import { ConfigError } from '../../../../common/config/index.js';
import type { StorageConfig } from '../config.js';
import type { ApiClient, ApiConfig } from './deps.js';

/** The storage config's `[api]` section (and wsp_path) as the API server wants it; every problem is listed. */
export function apiConfigFrom(config: StorageConfig): ApiConfig {
  const api = config.api;
  const problems: string[] = [];
  const basicUsers = parseBasicUsers(api.basic_auth_users, problems);
  const clients = parseClients(api.client_tokens, problems);
  if (api.max_read_points_in_flight < api.max_read_points) {
    problems.push(
      `[api] max_read_points_in_flight (${api.max_read_points_in_flight}) is smaller than max_read_points (${api.max_read_points}): one request could never be served`,
    );
  }
  if (problems.length) throw new ConfigError(problems);
  let prefix = api.prefix.trim().replace(/\/+$/, '');
  if (prefix && !prefix.startsWith('/')) prefix = `/${prefix}`;
  return {
    wspPath: config.global.wsp_path,
    wspPathMd5Char: config.global.wsp_path_md5_char,
    api: {
      listen: api.listen,
      port: api.port,
      prefix,
      authTokens: api.auth_tokens,
      basicUsers,
      clients,
      rateLimitPerMinute: api.rate_limit_per_minute,
      trustProxy: trustProxySetting(api.trust_proxy),
      maxPoints: api.max_points,
      maxReadPoints: api.max_read_points,
      maxReadPointsInFlight: api.max_read_points_in_flight,
      maxFindResults: api.max_find_results,
    },
  };
}

function parseBasicUsers(entries: string[], problems: string[]): Record<string, string> {
  const users: Record<string, string> = Object.create(null);
  for (const entry of entries) {
    const colon = entry.indexOf(':');
    if (colon <= 0 || colon === entry.length - 1) {
      problems.push(`[api] basic_auth_users: entry ${JSON.stringify(entry.split(':')[0])}… is not user:password`);
      continue;
    }
    users[entry.slice(0, colon)] = entry.slice(colon + 1);
  }
  return users;
}

/** `name:requests_per_minute:token` (the token may hold `:`); problems never quote the token. */
function parseClients(entries: string[], problems: string[]): ApiClient[] {
  const clients: ApiClient[] = [];
  for (const entry of entries) {
    const [name, rate, ...rest] = entry.split(':');
    const token = rest.join(':');
    const where = `[api] client_tokens: entry ${JSON.stringify(name.slice(0, 40))}…`;
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) problems.push(`${where}: the name must be 1-64 letters, digits, "_", "." or "-"`);
    else if (!/^\d{1,9}$/.test(rate ?? '')) problems.push(`${where} is not name:requests_per_minute:token (a whole number, 0 = unlimited)`);
    else if (token.length < 16) problems.push(`${where}: the token must be at least 16 characters`);
    else if (clients.some((c) => c.name === name)) problems.push(`${where}: the name is given twice`);
    else if (clients.some((c) => c.token === token)) problems.push(`${where}: the token is already another client's`);
    else clients.push({ name, token, ratePerMinute: Number(rate) });
  }
  return clients;
}

/** `trust proxy` accepts true/false, a hop count or addresses, as express does. */
export function trustProxySetting(value: string): boolean | number | string {
  const v = value.trim().toLowerCase();
  if (v === '' || v === 'false' || v === 'no' || v === '0') return false;
  if (v === 'true' || v === 'yes') return true;
  if (/^\d+$/.test(v)) return Number(v);
  return value.trim();
}
