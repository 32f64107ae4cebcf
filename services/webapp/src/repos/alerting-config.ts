import type { Pool, RowDataPacket } from 'mysql2/promise';
import { AlertRuleInput, type AlertState, type ContactKind, ContactSettings, type RuleKey } from '../../../../common/schemas/index.js';
import { affected, and, insert, type PageRequest, type PageResult, type Scope, searchScope, selectAll, selectPage } from './sql.js';

/**
 * What users edit for alerting: rules (`alert_rules`), contacts (`contacts`) and silences
 * (`alert_silences`), as migration 5 defines them. JSON columns are validated with their zod
 * shape on read too, so a row written by hand or by an older version cannot reach a page unchecked.
 */
export interface AlertRule {
  id: number;
  name: string;
  enabled: boolean;
  definition: AlertRuleInput;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface Contact {
  id: number;
  name: string;
  kind: ContactKind;
  enabled: boolean;
  settings: ContactSettings;
  groupId: number | null;
  userId: number | null;
  minState: Exclude<AlertState, 'OK'>;
  lastSuccessAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  failingSince: Date | null;
}
export type NewContact = Pick<Contact, 'name' | 'enabled' | 'settings' | 'groupId' | 'userId' | 'minState'>;

export interface Silence {
  id: number;
  ruleKey: RuleKey | null;
  hostGlob: string | null;
  plugin: string | null;
  field: string | null;
  startsAt: Date;
  endsAt: Date;
  comment: string;
  createdById: number | null;
  createdBy: string | null;
  createdAt: Date;
}
export type NewSilence = Pick<Silence, 'ruleKey' | 'hostGlob' | 'plugin' | 'field' | 'startsAt' | 'endsAt' | 'comment'>;

/** mysql2 gives JSON columns parsed on MariaDB 10.5+ and as text on others (JSON is LONGTEXT there). */
function json(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}

const RULE_COLUMNS = 'r.id, r.name, r.enabled, r.definition, u.username AS created_by, r.created_at, r.updated_at';
const RULE_FROM = 'alert_rules r LEFT JOIN users u ON u.id = r.created_by';
function toRule(r: RowDataPacket): AlertRule {
  return {
    id: Number(r.id),
    name: r.name,
    enabled: Boolean(r.enabled),
    definition: AlertRuleInput.parse(json(r.definition)),
    createdBy: r.created_by ?? null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

const CONTACT_COLUMNS = `c.id, c.name, c.kind, c.enabled, c.settings, c.group_id, c.user_id, c.min_state,
  c.last_success_at, c.last_error, c.last_error_at, c.failing_since`;
function toContact(r: RowDataPacket): Contact {
  return {
    id: Number(r.id),
    name: r.name,
    kind: r.kind,
    enabled: Boolean(r.enabled),
    settings: ContactSettings.parse(json(r.settings)),
    groupId: r.group_id === null ? null : Number(r.group_id),
    userId: r.user_id === null ? null : Number(r.user_id),
    minState: r.min_state,
    lastSuccessAt: r.last_success_at ?? null,
    lastError: r.last_error ?? null,
    lastErrorAt: r.last_error_at ?? null,
    failingSince: r.failing_since ?? null,
  };
}

const SILENCE_COLUMNS = `s.id, s.rule_key, s.host_glob, s.plugin, s.field, s.starts_at, s.ends_at, s.comment,
  s.created_by AS created_by_id, u.username AS created_by, s.created_at`;
const SILENCE_FROM = 'alert_silences s LEFT JOIN users u ON u.id = s.created_by';
function toSilence(r: RowDataPacket): Silence {
  return {
    id: Number(r.id),
    ruleKey: r.rule_key ?? null,
    hostGlob: r.host_glob ?? null,
    plugin: r.plugin ?? null,
    field: r.field ?? null,
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    comment: r.comment,
    createdById: r.created_by_id === null ? null : Number(r.created_by_id),
    createdBy: r.created_by ?? null,
    createdAt: r.created_at,
  };
}

export class AlertConfigRepo {
  constructor(
    private readonly pool: Pool,
    private readonly now: () => Date,
  ) {}

  // ---- rules (scopes on alias `r`) ----
  listRules(page: PageRequest, scope: Scope): Promise<PageResult<AlertRule>> {
    return selectPage(
      this.pool,
      { columns: RULE_COLUMNS, from: RULE_FROM, scope: and(scope, searchScope(page.q, ['r.name'])), order: 'r.name, r.id' },
      page,
      toRule,
    );
  }
  async getRule(id: number, scope: Scope): Promise<AlertRule | null> {
    const s = and(scope, { sql: 'r.id = ?', params: [id] });
    return (await selectAll(this.pool, `SELECT ${RULE_COLUMNS} FROM ${RULE_FROM} WHERE ${s.sql}`, s.params, toRule))[0] ?? null;
  }
  /** `updated_at` changes on every write: the engine re-reads rules when it moves. */
  createRule(rule: AlertRuleInput, createdBy: number): Promise<number> {
    const at = this.now();
    return insert(
      this.pool,
      'INSERT INTO alert_rules (name, enabled, definition, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
      [rule.name, rule.enabled, JSON.stringify(rule), createdBy, at, at],
    );
  }
  async updateRule(id: number, rule: AlertRuleInput): Promise<void> {
    await this.pool.query('UPDATE alert_rules SET name = ?, enabled = ?, definition = ?, updated_at = ? WHERE id = ?', [
      rule.name,
      rule.enabled,
      JSON.stringify(rule),
      this.now(),
      id,
    ]);
  }
  /**
   * The rule only: the engine notices it is gone at its next reload and ends its states itself
   * (a "rule removed" history row and notice for each problem, then the state rows go), as it
   * does for a disabled rule; the history stays.
   */
  async deleteRule(id: number): Promise<boolean> {
    return (await affected(this.pool, 'DELETE FROM alert_rules WHERE id = ?', [id])) > 0;
  }

  // ---- contacts (scopes on alias `c`) ----
  listContacts(page: PageRequest, scope: Scope): Promise<PageResult<Contact>> {
    return selectPage(this.pool, { columns: CONTACT_COLUMNS, from: 'contacts c', scope, order: 'c.name, c.id' }, page, toContact);
  }
  async getContact(id: number, scope: Scope): Promise<Contact | null> {
    const s = and(scope, { sql: 'c.id = ?', params: [id] });
    return (await selectAll(this.pool, `SELECT ${CONTACT_COLUMNS} FROM contacts c WHERE ${s.sql}`, s.params, toContact))[0] ?? null;
  }
  createContact(c: NewContact): Promise<number> {
    return insert(
      this.pool,
      'INSERT INTO contacts (name, kind, settings, enabled, group_id, user_id, min_state) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [c.name, c.settings.kind, JSON.stringify(c.settings), c.enabled, c.groupId, c.userId, c.minState],
    );
  }
  /** New settings may fix what failed: `clearFailure` (the settings changed) forgets the failing status. */
  async updateContact(id: number, c: NewContact, clearFailure: boolean): Promise<void> {
    await this.pool.query(
      `UPDATE contacts SET name = ?, kind = ?, settings = ?, enabled = ?, group_id = ?, user_id = ?, min_state = ?,
         failing_since = IF(?, NULL, failing_since) WHERE id = ?`,
      [c.name, c.settings.kind, JSON.stringify(c.settings), c.enabled, c.groupId, c.userId, c.minState, clearFailure, id],
    );
  }
  async deleteContact(id: number): Promise<boolean> {
    return (await affected(this.pool, 'DELETE FROM contacts WHERE id = ?', [id])) > 0;
  }

  // ---- silences (scopes on alias `s`) ----
  listSilences(page: PageRequest, scope: Scope, activeOnly: boolean): Promise<PageResult<Silence>> {
    const active = activeOnly ? { sql: 's.ends_at > ?', params: [this.now()] } : { sql: '1=1', params: [] };
    return selectPage(
      this.pool,
      {
        columns: SILENCE_COLUMNS,
        from: SILENCE_FROM,
        scope: and(scope, active),
        order: activeOnly ? 's.ends_at, s.id' : 's.created_at DESC, s.id DESC',
      },
      page,
      toSilence,
    );
  }
  /** Silences not ended yet (at most 1000, the earliest ending first), to show which problems they cover. */
  activeSilences(): Promise<Silence[]> {
    return selectAll(
      this.pool,
      `SELECT ${SILENCE_COLUMNS} FROM ${SILENCE_FROM} WHERE s.starts_at <= ? AND s.ends_at > ? ORDER BY s.ends_at LIMIT 1000`,
      [this.now(), this.now()],
      toSilence,
    );
  }
  async getSilence(id: number, scope: Scope): Promise<Silence | null> {
    const s = and(scope, { sql: 's.id = ?', params: [id] });
    return (await selectAll(this.pool, `SELECT ${SILENCE_COLUMNS} FROM ${SILENCE_FROM} WHERE ${s.sql}`, s.params, toSilence))[0] ?? null;
  }
  createSilence(s: NewSilence, createdBy: number): Promise<number> {
    return insert(
      this.pool,
      `INSERT INTO alert_silences (rule_key, host_glob, plugin, field, starts_at, ends_at, comment, created_by, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [s.ruleKey, s.hostGlob, s.plugin, s.field, s.startsAt, s.endsAt, s.comment, createdBy, this.now()],
    );
  }
  /** Ends a silence now (kept for the record); one already ended stays as it was. */
  async expireSilence(id: number): Promise<void> {
    const now = this.now();
    await this.pool.query('UPDATE alert_silences SET ends_at = ? WHERE id = ? AND ends_at > ?', [now, id, now]);
  }
}
