import { describe, expect, it } from 'vitest';
import { EXAMPLE_DB_MAPPING, EXAMPLE_RCI_TEMPLATES } from '@busbar/driver-basytec';
import { basytecDevicesSchema } from '../src/device-config.js';

const rci = { host: '127.0.0.1', port: 5025, templates: EXAMPLE_RCI_TEMPLATES, plans: ['capacity.pln'] };
const issues = (input: unknown): string[] => {
  const r = basytecDevicesSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('module-basytec > device configuration', () => {
  it('reads a tester with a file source, a database and RCI, with the documented defaults', () => {
    const [d] = basytecDevicesSchema.parse([{
      id: 'basytec-1', timeZone: 'Europe/Berlin', resultFiles: { dir: 'export' },
      database: { engine: 'postgres', port: 5432, user: 'ro', passwordEnv: 'BASYTEC_DB_PASSWORD', database: 'basytec', mapping: EXAMPLE_DB_MAPPING }, rci,
    }]);
    expect(d).toMatchObject({
      pollIntervalMs: 1000, timestampSource: 'auto', session: 'exclusive',
      resultFiles: { dir: 'export', filePattern: '\\.txt$', readChunkBytes: 262_144, maxRowsPerPoll: 5000, encoding: 'auto' },
      database: { host: '127.0.0.1', batchRows: 1000 },
      rci: { ratePerSecond: 10, terminator: '\r\n', baudRate: 9600, defaultTimeoutMs: 120_000, inFlight: 'tester' },
    });
  });

  it('names the field at fault', () => {
    const base = { id: 'b', timeZone: 'UTC', resultFiles: { dir: 'x' } };
    expect(issues([{ id: 'b', timeZone: 'UTC' }])).toEqual(['0.resultFiles: configure at least one source: resultFiles and/or database']);
    expect(issues([{ ...base, timeZone: 'Mars/Olympus' }])).toEqual(['0.timeZone: must be an IANA time zone known to the runtime, e.g. Europe/Berlin']);
    expect(issues([{ ...base, rci: { ...rci, ratePerSecond: 20 } }])).toEqual(['0.rci.ratePerSecond: must be ≤ 10: BaSyTec RCI accepts at most 10 commands/s (reference §6)']);
    expect(issues([{ ...base, rci: { ...rci, plans: [] } }])).toEqual(['0.rci.plans: list the prepared plans that may be started remotely']);
    expect(issues([{ ...base, rci: { ...rci, serialPath: '/dev/ttyS0' } }])).toEqual(['0.rci.host: give either host and port (TCP) or serialPath (RS232)']);
    expect(issues([{ ...base, rci: { ...rci, templates: { ...EXAMPLE_RCI_TEMPLATES, start: { request: 'START {channel}', success: '^OK$' } } } }])).toEqual(['0.rci.templates.start.request: must contain {plan}']);
    expect(issues([{ ...base, rci: { ...rci, templates: { ...EXAMPLE_RCI_TEMPLATES, stop: { request: 'STOP', success: '^OK(' } } } }])).toEqual(['0.rci.templates.stop.success: must be a valid regular expression', '0.rci.templates.stop.request: must contain {channel}']);
    expect(issues([{ ...base, database: { engine: 'mariadb', mapping: EXAMPLE_DB_MAPPING } }])).toEqual(['0.database.port: engine mariadb needs port', '0.database.user: engine mariadb needs user', '0.database.database: engine mariadb needs database']);
    expect(issues([{ ...base, database: { engine: 'sqlite', path: 'b.db', mapping: { ...EXAMPLE_DB_MAPPING, data: { ...EXAMPLE_DB_MAPPING.data, cursorColumn: 'nope' } } } }])).toEqual(['0.database.mapping.data.cursorColumn: the cursor column must be in mapping.data.columns, mapped to DataSet']);
    expect(issues([{ ...base, database: { engine: 'sqlite', path: 'b.db', mapping: { ...EXAMPLE_DB_MAPPING, tests: { ...EXAMPLE_DB_MAPPING.tests, table: 'tests; DROP' } } } }])).toEqual(['0.database.mapping.tests.table: must be a plain SQL identifier [A-Za-z_][A-Za-z0-9_]*']);
    expect(issues([base, base])).toEqual(['1.id: duplicate device id b']);
  });
});
