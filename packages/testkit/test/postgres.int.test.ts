import { existsSync, statSync } from 'node:fs';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { startPostgres } from '../src/index.js';

describe('Testkit > PostgreSQL', () => {
  it('starts on 127.0.0.1 as the postgres user, answers SQL with a password, stops fast and deletes its data', async () => {
    const h = await startPostgres();
    try {
      expect(h.host).toBe('127.0.0.1');
      const c = new pg.Client({ host: h.host, port: h.port, user: h.user, password: h.password, database: h.database });
      await c.connect();
      const r = await c.query<{ v: string; u: string }>('SELECT version() AS v, current_user AS u');
      expect(r.rows[0]?.v).toMatch(/^PostgreSQL 15\./);
      expect(r.rows[0]?.u).toBe('postgres');
      if (process.getuid?.() === 0) expect(statSync(`${h.dir}/data`).uid).not.toBe(0);
      await c.end();
      const bad = new pg.Client({ host: h.host, port: h.port, user: h.user, password: 'wrong', database: h.database });
      await expect(bad.connect()).rejects.toThrow(/password authentication failed/);
    } finally {
      await h.dispose();
    }
    expect(h.running()).toBe(false);
    expect(existsSync(h.dir)).toBe(false);
  });
});
