import { existsSync } from 'node:fs';
import mariadb from 'mariadb';
import { describe, expect, it } from 'vitest';
import { startMariadb } from '../src/index.js';

describe('Testkit > MariaDB', () => {
  it('starts on 127.0.0.1, answers SQL over TCP with a password, stops and deletes its data', async () => {
    const h = await startMariadb();
    try {
      const c = await mariadb.createConnection({ host: h.host, port: h.port, user: h.user, password: h.password });
      const rows = await c.query<{ v: string }[]>('SELECT VERSION() AS v');
      expect(rows[0]?.v).toMatch(/^10\.11\..*MariaDB/);
      await c.end();
      await expect(mariadb.createConnection({ host: h.host, port: h.port, user: h.user, password: 'wrong' })).rejects.toThrow(/Access denied/);
    } finally {
      await h.dispose();
    }
    expect(h.running()).toBe(false);
    expect(existsSync(h.dir)).toBe(false);
  });
});
