import { ConfigError } from '../../../../common/config/index.js';
import type { StorageConfig } from '../config.js';
import type { ApiConfig } from './deps.js';

/** The storage config's `[api]` section (and wsp_path) as the API server wants it. */
export function apiConfigFrom(config: StorageConfig): ApiConfig {
  const api = config.api;
  const basicUsers: Record<string, string> = Object.create(null);
  const problems: string[] = [];
  for (const entry of api.basic_auth_users) {
    const colon = entry.indexOf(':');
    if (colon <= 0 || colon === entry.length - 1) {
      problems.push(`[api] basic_auth_users: entry ${JSON.stringify(entry.split(':')[0])}… is not user:password`);
      continue;
    }
    basicUsers[entry.slice(0, colon)] = entry.slice(colon + 1);
  }
  if (problems.length) throw new ConfigError(problems);
  let prefix = api.prefix.trim().replace(/\/+$/, '');
  if (prefix && !prefix.startsWith('/')) prefix = `/${prefix}`;
  return {
    wspPath: config.global.wsp_path,
    api: {
      listen: api.listen,
      port: api.port,
      prefix,
      authTokens: api.auth_tokens,
      basicUsers,
      rateLimitPerMinute: api.rate_limit_per_minute,
      maxPoints: api.max_points,
      maxReadPoints: api.max_read_points,
      maxFindResults: api.max_find_results,
    },
  };
}
