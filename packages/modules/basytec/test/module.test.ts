import { describe, expect, it } from 'vitest';
import { createBasytecModule, resolveBasytecDevice } from '../src/module.js';
import { basytecDevicesSchema } from '../src/device-config.js';
import type { BasytecPoll } from '../src/records.js';

const parse = (d: Record<string, unknown>) => basytecDevicesSchema.parse([{ id: 'bt-1', timeZone: 'UTC', ...d }])[0]!;

describe('module-basytec > module', () => {
  it('resolves the export directory, the SQLite backup and the cursor file against the device file\'s folder', () => {
    const d = resolveBasytecDevice(parse({ resultFiles: { dir: 'export' }, database: { engine: 'sqlite', path: 'backup.sqlite', mapping: { tests: { table: 't', id: 'i', name: 'n', channel: 'c', start: 's' }, data: { table: 'd', testIdColumn: 'i', cursorColumn: 'ds', columns: { ds: 'DataSet', t: 'Time[s]' } } } }, cursorFile: 'state/c.json' }), '/etc/busbar', '/var/lib/busbar');
    expect([d.resultFiles?.dir, d.database?.path, d.cursorFile]).toEqual(['/etc/busbar/export', '/etc/busbar/backup.sqlite', '/etc/busbar/state/c.json']);
    expect(resolveBasytecDevice(parse({ resultFiles: { dir: '/mnt/x' } }), '/etc/busbar', '/var/lib/busbar').cursorFile).toBe('/var/lib/busbar/basytec-bt-1.cursors.json');
  });

  it('is exclusive, has exactly the start and stop actions, and acknowledges the batches of a poll in order', async () => {
    const m = createBasytecModule();
    const device = resolveBasytecDevice(parse({ resultFiles: { dir: '/x' } }), '/');
    expect(m.sessionMode(device)).toBe('exclusive');
    expect(Object.keys(m.actions).sort()).toEqual(['basytec.start_test', 'basytec.stop_test']);
    const acked: string[] = [];
    const b = (origin: string) => ({ source: 'file' as const, origin, test: { name: undefined, channel: undefined, start: undefined }, timestampSource: 'elapsed' as const, rows: [], errors: [], ack: async () => {
      await Promise.resolve();
      acked.push(origin);
    } });
    const poll: BasytecPoll = { batches: [b('a.txt'), b('b.txt'), b('a.txt')] };
    await m.acknowledge!(undefined as never, device, poll);
    expect(acked).toEqual(['a.txt', 'b.txt', 'a.txt']);
  });
});
