/**
 * The simulator's database writer: creates the tables of a {@link DbMapping} (the invented
 * example by default) and inserts simulated rows, so the database source can be tested against
 * real PostgreSQL, MariaDB and SQLite with the very mapping it reads.
 */
import type { DbMapping } from '../client/db-source.js';
import { EXAMPLE_DB_MAPPING } from '../client/db-source.js';
import { quoteIdent } from '../client/sql.js';
import type { SqlConnection } from '../client/sql.js';
import type { DbSink } from './simulator.js';
import type { SimRow } from './model.js';
import { ResultfileFormat } from './resultfile-writer.js';

/**
 * A {@link DbSink} writing through a writable connection.
 * @param conn - opened with `readOnly: false`.
 */
export function sqlDbSink(conn: SqlConnection, mapping: DbMapping = EXAMPLE_DB_MAPPING): DbSink {
  const d = conn.dialect;
  const q = (n: string): string => quoteIdent(d, n);
  const fmt = new ResultfileFormat({ timeUnit: 's', dateTimeColumn: true });
  const headers = fmt.columns();
  let table = '';
  let testId = '';
  const dbCols = Object.entries(mapping.data.columns).filter(([, h]) => headers.includes(h));
  const type = (h: string): string => (h === 'Command' || h === 'DateTime' ? (d === 'mariadb' ? 'VARCHAR(64)' : 'TEXT') : h === 'DataSet' ? 'BIGINT' : d === 'sqlite' ? 'REAL' : 'DOUBLE PRECISION');
  return {
    async begin(t) {
      testId = String(t.testId);
      const tt = mapping.tests;
      const ts = d === 'postgres' ? 'TIMESTAMP' : d === 'mariadb' ? 'DATETIME' : 'TEXT';
      const str = d === 'mariadb' ? 'VARCHAR(128)' : 'TEXT';
      await conn.query(`CREATE TABLE IF NOT EXISTS ${q(tt.table)} (${q(tt.id)} BIGINT PRIMARY KEY, ${q(tt.name)} ${str}, ${q(tt.channel)} ${str}, ${q(tt.start)} ${ts})`);
      const [dd, mm, yyyy, time] = t.start.split(/[. ]/);
      await conn.query(`INSERT INTO ${q(tt.table)} (${q(tt.id)}, ${q(tt.name)}, ${q(tt.channel)}, ${q(tt.start)}) VALUES (?, ?, ?, ?)`, [t.testId, t.name, t.channel, `${yyyy}-${mm}-${dd} ${time}`]);
      table = mapping.data.table.replace('{test_id}', testId);
      const extraCol = mapping.data.testIdColumn === undefined ? '' : `${q(mapping.data.testIdColumn)} BIGINT, `;
      await conn.query(`CREATE TABLE IF NOT EXISTS ${q(table)} (${extraCol}${dbCols.map(([c, h]) => `${q(c)} ${type(h)}`).join(', ')})`);
    },
    async write(rows: readonly SimRow[]) {
      if (rows.length === 0) return;
      const cols = [...(mapping.data.testIdColumn === undefined ? [] : [mapping.data.testIdColumn]), ...dbCols.map(([c]) => c)];
      const params: unknown[] = [];
      const tuples: string[] = [];
      for (const r of rows) {
        const f = fmt.fields(r);
        const byHeader = new Map(headers.map((h, i) => [h, f[i]]));
        const vals = dbCols.map(([, h]) => {
          const v = byHeader.get(h) as string;
          return h === 'Command' || h === 'DateTime' ? v : Number(v);
        });
        params.push(...(mapping.data.testIdColumn === undefined ? [] : [Number(testId)]), ...vals);
        tuples.push(`(${cols.map(() => '?').join(', ')})`);
      }
      await conn.query(`INSERT INTO ${q(table)} (${cols.map(q).join(', ')}) VALUES ${tuples.join(', ')}`, params);
    },
  };
}
