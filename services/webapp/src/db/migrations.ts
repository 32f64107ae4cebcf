import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';

/**
 * Versioned schema. Each migration runs once, in order, recorded in `schema_migrations`;
 * applying them again is a no-op. A named MariaDB lock keeps two processes starting at the
 * same time from applying the same version twice. Never edit a shipped migration: add one.
 */
export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

const TABLE_OPTIONS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    statements: [
      `CREATE TABLE usergroups (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(80) NOT NULL UNIQUE) ${TABLE_OPTIONS}`,
      `CREATE TABLE users (
        id INT AUTO_INCREMENT PRIMARY KEY, username VARCHAR(150) NOT NULL UNIQUE, email VARCHAR(254) NOT NULL DEFAULT '',
        password_hash VARCHAR(255) NOT NULL, is_superuser BOOLEAN NOT NULL DEFAULT FALSE,
        graph_lib VARCHAR(50) NOT NULL DEFAULT 'uplot', date_joined DATETIME(3) NOT NULL) ${TABLE_OPTIONS}`,
      `CREATE TABLE group_members (user_id INT NOT NULL, group_id INT NOT NULL, PRIMARY KEY (user_id, group_id),
        FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE,
        FOREIGN KEY (group_id) REFERENCES usergroups(id) ON DELETE CASCADE) ${TABLE_OPTIONS}`,
      `CREATE TABLE storages (
        id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL UNIQUE, protocol VARCHAR(5) NOT NULL DEFAULT 'http',
        address VARCHAR(200) NOT NULL, port INT NOT NULL DEFAULT 8080, url_prefix VARCHAR(100) NOT NULL DEFAULT '',
        login VARCHAR(100) NOT NULL DEFAULT '', password VARCHAR(200) NOT NULL DEFAULT '', token VARCHAR(500) NOT NULL DEFAULT '') ${TABLE_OPTIONS}`,
      `CREATE TABLE hosts (
        id INT AUTO_INCREMENT PRIMARY KEY, hostid VARCHAR(300) NOT NULL, name VARCHAR(200) NOT NULL,
        storage_id INT NULL, group_id INT NULL, UNIQUE KEY hosts_hostid (hostid),
        FOREIGN KEY (storage_id) REFERENCES storages(id) ON DELETE SET NULL,
        FOREIGN KEY (group_id) REFERENCES usergroups(id) ON DELETE SET NULL) ${TABLE_OPTIONS}`,
      `CREATE TABLE plugins (
        id INT AUTO_INCREMENT PRIMARY KEY, host_id INT NOT NULL, name VARCHAR(200) NOT NULL, comment TEXT NOT NULL,
        UNIQUE KEY plugins_host_name (host_id, name), FOREIGN KEY (host_id) REFERENCES hosts(id) ON DELETE CASCADE) ${TABLE_OPTIONS}`,
      `CREATE TABLE sources (
        id INT AUTO_INCREMENT PRIMARY KEY, plugin_id INT NOT NULL, name VARCHAR(300) NOT NULL, comment TEXT NOT NULL,
        UNIQUE KEY sources_plugin_name (plugin_id, name), FOREIGN KEY (plugin_id) REFERENCES plugins(id) ON DELETE CASCADE) ${TABLE_OPTIONS}`,
      `CREATE TABLE views (
        id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(250) NOT NULL, comment TEXT NOT NULL,
        warning DOUBLE NULL, critical DOUBLE NULL) ${TABLE_OPTIONS}`,
      `CREATE TABLE view_sources (view_id INT NOT NULL, source_id INT NOT NULL, position INT NOT NULL DEFAULT 0,
        axis ENUM('left','right') NOT NULL DEFAULT 'left', PRIMARY KEY (view_id, source_id),
        FOREIGN KEY (view_id) REFERENCES views(id) ON DELETE CASCADE,
        FOREIGN KEY (source_id) REFERENCES sources(id) ON DELETE CASCADE) ${TABLE_OPTIONS}`,
      `CREATE TABLE view_users (view_id INT NOT NULL, user_id INT NOT NULL, PRIMARY KEY (view_id, user_id),
        FOREIGN KEY (view_id) REFERENCES views(id) ON DELETE CASCADE, FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE) ${TABLE_OPTIONS}`,
      `CREATE TABLE view_groups (view_id INT NOT NULL, group_id INT NOT NULL, PRIMARY KEY (view_id, group_id),
        FOREIGN KEY (view_id) REFERENCES views(id) ON DELETE CASCADE, FOREIGN KEY (group_id) REFERENCES usergroups(id) ON DELETE CASCADE) ${TABLE_OPTIONS}`,
      `CREATE TABLE multiviews (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(300) NOT NULL, comment TEXT NOT NULL) ${TABLE_OPTIONS}`,
      `CREATE TABLE multiview_views (multiview_id INT NOT NULL, view_id INT NOT NULL, position INT NOT NULL DEFAULT 0,
        PRIMARY KEY (multiview_id, view_id), FOREIGN KEY (multiview_id) REFERENCES multiviews(id) ON DELETE CASCADE,
        FOREIGN KEY (view_id) REFERENCES views(id) ON DELETE CASCADE) ${TABLE_OPTIONS}`,
      `CREATE TABLE multiview_users (multiview_id INT NOT NULL, user_id INT NOT NULL, PRIMARY KEY (multiview_id, user_id),
        FOREIGN KEY (multiview_id) REFERENCES multiviews(id) ON DELETE CASCADE, FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE) ${TABLE_OPTIONS}`,
      `CREATE TABLE multiview_groups (multiview_id INT NOT NULL, group_id INT NOT NULL, PRIMARY KEY (multiview_id, group_id),
        FOREIGN KEY (multiview_id) REFERENCES multiviews(id) ON DELETE CASCADE, FOREIGN KEY (group_id) REFERENCES usergroups(id) ON DELETE CASCADE) ${TABLE_OPTIONS}`,
      `CREATE TABLE skeletons (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL UNIQUE,
        plugin_pattern VARCHAR(100) NOT NULL, source_pattern VARCHAR(100) NOT NULL, comment TEXT NOT NULL) ${TABLE_OPTIONS}`,
      `CREATE TABLE events (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(300) NOT NULL, short_text VARCHAR(20) NOT NULL DEFAULT '',
        date DATETIME(3) NOT NULL, comment TEXT NOT NULL, KEY events_date (date)) ${TABLE_OPTIONS}`,
      `CREATE TABLE event_hosts (event_id INT NOT NULL, host_id INT NOT NULL, PRIMARY KEY (event_id, host_id),
        FOREIGN KEY (event_id) REFERENCES events(id) ON DELETE CASCADE, FOREIGN KEY (host_id) REFERENCES hosts(id) ON DELETE CASCADE) ${TABLE_OPTIONS}`,
      `CREATE TABLE api_tokens (id INT AUTO_INCREMENT PRIMARY KEY, user_id INT NOT NULL, name VARCHAR(100) NOT NULL,
        prefix VARCHAR(16) NOT NULL, token_hash CHAR(64) NOT NULL UNIQUE, created_at DATETIME(3) NOT NULL, last_used_at DATETIME(3) NULL,
        FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE) ${TABLE_OPTIONS}`,
      `CREATE TABLE sessions (sid VARCHAR(128) NOT NULL PRIMARY KEY, expires BIGINT NOT NULL, data MEDIUMTEXT NOT NULL,
        KEY sessions_expires (expires)) ${TABLE_OPTIONS}`,
    ],
  },
  {
    version: 2,
    name: 'default skeletons',
    statements: [
      `INSERT IGNORE INTO skeletons (name, plugin_pattern, source_pattern, comment) VALUES
        ('cpu', '^cpu$', '.', 'CPU usage by state'),
        ('load', '^load$', '.', 'Load average'),
        ('memory', '^memory$', '.', 'Memory usage'),
        ('network', '^if_', '.', 'Traffic of every network interface'),
        ('disk', '^df$', '.', 'Disk usage in percent')`,
    ],
  },
  {
    version: 3,
    name: 'multi-plugin skeletons, power and load',
    statements: [
      // more plugin/source patterns per skeleton, each on a y-axis; `fallback` parts are alternatives
      `CREATE TABLE IF NOT EXISTS skeleton_parts (skeleton_id INT NOT NULL, position INT NOT NULL,
        plugin_pattern VARCHAR(100) NOT NULL, source_pattern VARCHAR(100) NOT NULL,
        axis ENUM('left','right') NOT NULL DEFAULT 'left', fallback BOOLEAN NOT NULL DEFAULT FALSE,
        PRIMARY KEY (skeleton_id, position), FOREIGN KEY (skeleton_id) REFERENCES skeletons(id) ON DELETE CASCADE) ${TABLE_OPTIONS}`,
      'ALTER TABLE skeletons ADD COLUMN IF NOT EXISTS populate BOOLEAN NOT NULL DEFAULT FALSE',
      // views `populate` built from skeletons, once per host: a deleted view (view_id NULL) is not built again
      `CREATE TABLE IF NOT EXISTS skeleton_host_views (skeleton_id INT NOT NULL, host_id INT NOT NULL, view_id INT NULL,
        PRIMARY KEY (skeleton_id, host_id), FOREIGN KEY (skeleton_id) REFERENCES skeletons(id) ON DELETE CASCADE,
        FOREIGN KEY (host_id) REFERENCES hosts(id) ON DELETE CASCADE,
        FOREIGN KEY (view_id) REFERENCES views(id) ON DELETE SET NULL) ${TABLE_OPTIONS}`,
      // PowerMon's viewCons: PDU power (SNMP module, plugin power) with the load average on the right axis,
      // from our system module (system_load) or else munin's load plugin
      `INSERT IGNORE INTO skeletons (name, plugin_pattern, source_pattern, comment, populate) VALUES
        ('power-load', '^power$', '^watts$', 'Power consumption and load average', TRUE)`,
      `INSERT IGNORE INTO skeleton_parts (skeleton_id, position, plugin_pattern, source_pattern, axis, fallback)
        SELECT id, 0, '^system_load$', '^load(1|5|15)$', 'right', FALSE FROM skeletons WHERE name = 'power-load'
        UNION ALL SELECT id, 1, '^load$', '^load$', 'right', TRUE FROM skeletons WHERE name = 'power-load'`,
    ],
  },
  {
    version: 4,
    name: 'sessions by user',
    statements: [
      // so a password change or a user's deletion can end that user's sessions
      'ALTER TABLE sessions ADD COLUMN IF NOT EXISTS user_id INT NULL, ADD KEY IF NOT EXISTS sessions_user (user_id)',
      `UPDATE sessions SET user_id = CAST(JSON_VALUE(data, '$.userId') AS INT) WHERE user_id IS NULL AND JSON_VALUE(data, '$.userId') IS NOT NULL`,
    ],
  },
  {
    version: 5,
    name: 'alerting',
    // docs/alerting.md. A series is (hostid, plugin, field); `series_key` is the SHA-256 hex of
    // `hostid\0plugin\0field` so a unique key fits InnoDB's index size with long names.
    statements: [
      `CREATE TABLE alert_rules (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(200) NOT NULL, enabled BOOLEAN NOT NULL DEFAULT TRUE,
        definition JSON NOT NULL, created_by INT NULL, created_at DATETIME(3) NOT NULL, updated_at DATETIME(3) NOT NULL,
        FOREIGN KEY (created_by) REFERENCES users(id) ON DELETE SET NULL) ${TABLE_OPTIONS}`,
      // munin thresholds as last seen in plugin infos (or overridden by munin.conf), so a restart knows them at once
      `CREATE TABLE alert_thresholds (series_key CHAR(64) NOT NULL PRIMARY KEY, hostid VARCHAR(300) NOT NULL,
        plugin VARCHAR(200) NOT NULL, field VARCHAR(200) NOT NULL, warning VARCHAR(64) NULL, critical VARCHAR(64) NULL,
        source ENUM('info','munin_conf') NOT NULL DEFAULT 'info', updated_at DATETIME(3) NOT NULL, KEY alert_thresholds_host (hostid)) ${TABLE_OPTIONS}`,
      `CREATE TABLE alert_states (id BIGINT AUTO_INCREMENT PRIMARY KEY, rule_key VARCHAR(24) NOT NULL, series_key CHAR(64) NOT NULL,
        hostid VARCHAR(300) NOT NULL, plugin VARCHAR(200) NOT NULL, field VARCHAR(200) NOT NULL,
        state ENUM('OK','UNKNOWN','WARNING','CRITICAL') NOT NULL, since DATETIME(3) NOT NULL,
        last_value DOUBLE NULL, last_point_at DATETIME(3) NULL, reason VARCHAR(1024) NOT NULL DEFAULT '',
        flapping BOOLEAN NOT NULL DEFAULT FALSE, last_notified_at DATETIME(3) NULL,
        acked_by INT NULL, acked_at DATETIME(3) NULL, ack_comment VARCHAR(1024) NULL,
        UNIQUE KEY alert_states_rule_series (rule_key, series_key), KEY alert_states_state (state, since), KEY alert_states_host (hostid),
        FOREIGN KEY (acked_by) REFERENCES users(id) ON DELETE SET NULL) ${TABLE_OPTIONS}`,
      `CREATE TABLE alert_history (id BIGINT AUTO_INCREMENT PRIMARY KEY, state_id BIGINT NOT NULL, rule_key VARCHAR(24) NOT NULL,
        hostid VARCHAR(300) NOT NULL, plugin VARCHAR(200) NOT NULL, field VARCHAR(200) NOT NULL,
        previous ENUM('OK','UNKNOWN','WARNING','CRITICAL') NOT NULL, state ENUM('OK','UNKNOWN','WARNING','CRITICAL') NOT NULL,
        at DATETIME(3) NOT NULL, value DOUBLE NULL, reason VARCHAR(1024) NOT NULL DEFAULT '',
        KEY alert_history_host (hostid, at), KEY alert_history_rule (rule_key, at), KEY alert_history_state (state_id, at),
        FOREIGN KEY (state_id) REFERENCES alert_states(id) ON DELETE CASCADE) ${TABLE_OPTIONS}`,
      // a silence matches by rule and/or host glob, plugin, field (NULL = any); notifications inside it are not sent
      `CREATE TABLE alert_silences (id INT AUTO_INCREMENT PRIMARY KEY, rule_key VARCHAR(24) NULL, host_glob VARCHAR(300) NULL,
        plugin VARCHAR(200) NULL, field VARCHAR(200) NULL, starts_at DATETIME(3) NOT NULL, ends_at DATETIME(3) NOT NULL,
        comment VARCHAR(1024) NOT NULL DEFAULT '', created_by INT NULL, created_at DATETIME(3) NOT NULL, KEY alert_silences_end (ends_at),
        FOREIGN KEY (created_by) REFERENCES users(id) ON DELETE SET NULL) ${TABLE_OPTIONS}`,
      // a contact belongs to a group (gets the alerts of the group's hosts) or a user (gets the alerts of subscribed hosts)
      `CREATE TABLE contacts (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(200) NOT NULL UNIQUE,
        kind ENUM('email','webhook','slack','alertmanager','command') NOT NULL, settings JSON NOT NULL, enabled BOOLEAN NOT NULL DEFAULT TRUE,
        group_id INT NULL, user_id INT NULL, min_state ENUM('UNKNOWN','WARNING','CRITICAL') NOT NULL DEFAULT 'WARNING',
        last_success_at DATETIME(3) NULL, last_error VARCHAR(1024) NULL, last_error_at DATETIME(3) NULL, failing_since DATETIME(3) NULL,
        FOREIGN KEY (group_id) REFERENCES usergroups(id) ON DELETE CASCADE, FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE) ${TABLE_OPTIONS}`,
      `CREATE TABLE alert_subscriptions (user_id INT NOT NULL, host_id INT NOT NULL, PRIMARY KEY (user_id, host_id),
        FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE, FOREIGN KEY (host_id) REFERENCES hosts(id) ON DELETE CASCADE) ${TABLE_OPTIONS}`,
      // the outbox: one row per (state change, contact), written in the transaction that records the change
      `CREATE TABLE alert_notifications (id BIGINT AUTO_INCREMENT PRIMARY KEY, history_id BIGINT NOT NULL, contact_id INT NOT NULL,
        repeat_no INT NOT NULL DEFAULT 0, payload JSON NOT NULL, status ENUM('pending','sent','failed','silenced') NOT NULL DEFAULT 'pending',
        attempts INT NOT NULL DEFAULT 0, next_attempt_at DATETIME(3) NOT NULL, lease_until DATETIME(3) NULL, last_error VARCHAR(1024) NULL,
        created_at DATETIME(3) NOT NULL, sent_at DATETIME(3) NULL,
        UNIQUE KEY alert_notifications_once (history_id, contact_id, repeat_no), KEY alert_notifications_due (status, next_attempt_at),
        FOREIGN KEY (history_id) REFERENCES alert_history(id) ON DELETE CASCADE,
        FOREIGN KEY (contact_id) REFERENCES contacts(id) ON DELETE CASCADE) ${TABLE_OPTIONS}`,
    ],
  },
  {
    version: 6,
    name: 'alerting: unknown_limit, history outlives its state',
    statements: [
      // munin's unknown_limit as the plugin gave it, so a restart counts unknown values as before
      'ALTER TABLE alert_thresholds ADD COLUMN IF NOT EXISTS unknown_limit VARCHAR(16) NULL AFTER critical',
      // A removed rule's or host's state row goes, its history (and the "rule removed" notices in
      // the outbox, which hang on the history) stays: the cascade becomes SET NULL.
      'ALTER TABLE alert_history DROP FOREIGN KEY IF EXISTS alert_history_ibfk_1',
      'ALTER TABLE alert_history MODIFY state_id BIGINT NULL',
      `ALTER TABLE alert_history ADD CONSTRAINT alert_history_state FOREIGN KEY IF NOT EXISTS (state_id)
        REFERENCES alert_states(id) ON DELETE SET NULL`,
    ],
  },
  {
    version: 7,
    name: 'source search index',
    // docs/webapp.md (source search): the distinct (plugin, source) names of the fleet, so a search
    // knows which hosts can hold a match before reading any of their sources; rows are added with
    // the sources (repos/inventory.ts ensureMany) and never removed (a stale row costs a look, not
    // a wrong answer). Hosts by name and plugins by name for the search's ordered, bounded walks.
    statements: [
      `CREATE TABLE IF NOT EXISTS source_kinds (plugin VARCHAR(200) NOT NULL, name VARCHAR(300) NOT NULL,
        PRIMARY KEY (plugin, name)) ${TABLE_OPTIONS}`,
      `INSERT IGNORE INTO source_kinds (plugin, name)
        SELECT DISTINCT p.name, s.name FROM sources s JOIN plugins p ON p.id = s.plugin_id`,
      'ALTER TABLE hosts ADD KEY IF NOT EXISTS hosts_name (name, id)',
      'ALTER TABLE plugins ADD KEY IF NOT EXISTS plugins_name (name, host_id)',
    ],
  },
  {
    version: 8,
    name: 'view name index',
    // The dashboard editor's view search (repos/view-search.ts): names starting with the first word
    // are an index range (the column's utf8mb4_unicode_ci collation folds case and accents), the
    // names holding the words elsewhere an ordered walk of the same index, bounded.
    statements: ['ALTER TABLE views ADD KEY IF NOT EXISTS views_name (name, id)'],
  },
];

export interface MigrationResult {
  applied: number[];
  current: number;
}

const LOCK_NAME = 'numeter_webapp_migrations';

export async function migrate(pool: Pool, migrations: Migration[] = MIGRATIONS): Promise<MigrationResult> {
  const connection = await pool.getConnection();
  try {
    await connection.query('SELECT GET_LOCK(?, 60)', [LOCK_NAME]);
    try {
      await connection.query(
        `CREATE TABLE IF NOT EXISTS schema_migrations (version INT PRIMARY KEY, name VARCHAR(200) NOT NULL,
          applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)) ${TABLE_OPTIONS}`,
      );
      const done = await appliedVersions(connection);
      const applied: number[] = [];
      for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
        if (done.has(migration.version)) continue;
        // MariaDB commits DDL implicitly, so a migration is not atomic: keep each statement re-runnable in spirit
        // and record the version only after every statement succeeded.
        for (const statement of migration.statements) await connection.query(statement);
        await connection.query('INSERT INTO schema_migrations (version, name) VALUES (?, ?)', [migration.version, migration.name]);
        applied.push(migration.version);
      }
      return { applied, current: Math.max(0, ...done, ...applied) };
    } finally {
      await connection.query('SELECT RELEASE_LOCK(?)', [LOCK_NAME]);
    }
  } finally {
    connection.release();
  }
}

async function appliedVersions(connection: PoolConnection): Promise<Set<number>> {
  const [rows] = await connection.query<RowDataPacket[]>('SELECT version FROM schema_migrations');
  return new Set(rows.map((r) => Number(r.version)));
}
