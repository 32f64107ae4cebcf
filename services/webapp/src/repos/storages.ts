import type { Pool, RowDataPacket } from 'mysql2/promise';
import { affected, insert, type PageRequest, type PageResult, searchScope, selectAll, selectPage, updateColumns } from './sql.js';

export interface Storage {
  id: number;
  name: string;
  protocol: 'http' | 'https';
  address: string;
  port: number;
  urlPrefix: string;
  login: string;
  password: string;
  token: string;
}
export type NewStorage = Omit<Storage, 'id'>;

const COLUMNS = 'id, name, protocol, address, port, url_prefix, login, password, token';
const toStorage = (r: RowDataPacket): Storage => ({
  id: r.id,
  name: r.name,
  protocol: r.protocol,
  address: r.address,
  port: r.port,
  urlPrefix: r.url_prefix,
  login: r.login,
  password: r.password,
  token: r.token,
});
const COLUMN_OF: Record<keyof NewStorage, string> = {
  name: 'name',
  protocol: 'protocol',
  address: 'address',
  port: 'port',
  urlPrefix: 'url_prefix',
  login: 'login',
  password: 'password',
  token: 'token',
};

export class StorageRepo {
  constructor(private readonly pool: Pool) {}
  async get(id: number): Promise<Storage | null> {
    return (await selectAll(this.pool, `SELECT ${COLUMNS} FROM storages WHERE id = ?`, [id], toStorage))[0] ?? null;
  }
  async byName(name: string): Promise<Storage | null> {
    return (await selectAll(this.pool, `SELECT ${COLUMNS} FROM storages WHERE name = ?`, [name], toStorage))[0] ?? null;
  }
  all(): Promise<Storage[]> {
    return selectAll(this.pool, `SELECT ${COLUMNS} FROM storages ORDER BY id`, [], toStorage);
  }
  list(page: PageRequest): Promise<PageResult<Storage>> {
    return selectPage(
      this.pool,
      { columns: COLUMNS, from: 'storages', scope: searchScope(page.q, ['name', 'address']), order: 'name' },
      page,
      toStorage,
    );
  }
  create(s: NewStorage): Promise<number> {
    const keys = Object.keys(COLUMN_OF) as (keyof NewStorage)[];
    return insert(this.pool, `INSERT INTO storages (${keys.map((k) => COLUMN_OF[k]).join(', ')}) VALUES (?)`, [keys.map((k) => s[k])]);
  }
  async update(id: number, patch: Partial<NewStorage>): Promise<void> {
    const keys = Object.keys(COLUMN_OF) as (keyof NewStorage)[];
    await updateColumns(this.pool, 'storages', id, Object.fromEntries(keys.map((k) => [COLUMN_OF[k], patch[k]])));
  }
  async delete(id: number): Promise<boolean> {
    return (await affected(this.pool, 'DELETE FROM storages WHERE id = ?', [id])) > 0;
  }
}
