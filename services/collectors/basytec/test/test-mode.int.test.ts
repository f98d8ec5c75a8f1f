/** `--test` mode on a real export directory: the newest rows of each file as Reading JSON lines, no Kafka, cursors untouched. */
import { existsSync, mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { noopLogger } from '@busbar/core';
import { DEFAULT_PLAN, ResultfileFormat, simulateRows } from '@busbar/driver-basytec';
import { collectorConfigSchema } from '../src/config.js';
import { runTestMode } from '../src/collector.js';
import { resolveBasytecDevice } from '@busbar/module-basytec';
import type { BasytecDeviceInput } from '@busbar/module-basytec';

describe('collector-basytec > --test mode', () => {
  it('prints the newest rows of each Resultfile, leaves the cursor file alone, and one error line for a missing directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'busbar-basytec-testmode-'));
    mkdirSync(join(dir, 'export'));
    const rows = [...simulateRows({ plan: DEFAULT_PLAN, sample_s: 1 })].slice(0, 50);
    for (const [name, channel] of [['a.txt', '0001 CH01 SIM'], ['b.txt', '0001 CH02 SIM']] as const) {
      const f = new ResultfileFormat({ testName: name, channel });
      writeFileSync(join(dir, 'export', name), Buffer.concat([f.preamble(), f.rows(rows)]));
    }
    const parsed = collectorConfigSchema.parse({ kafka: { brokers: ['127.0.0.1:1'] }, devices: [
      { id: 'bt-1', timeZone: 'Europe/Berlin', resultFiles: { dir: 'export' }, cursorFile: 'cursors.json' },
      { id: 'bt-2', timeZone: 'Europe/Berlin', resultFiles: { dir: 'missing' } },
    ] }).devices as BasytecDeviceInput[];
    const lines: string[] = [];
    const failed = await runTestMode(parsed.map((d) => resolveBasytecDevice(d, dir, dir)), { logger: noopLogger }, (l) => lines.push(l), 3);
    expect(failed).toBe(1);
    const out = lines.map((l) => JSON.parse(l) as { channel?: number; values?: Record<string, number>; device_id: string; error?: string });
    expect(out.slice(0, 6).map((r) => [r.channel, r.values?.data_set])).toEqual([[1, 48], [1, 49], [1, 50], [2, 48], [2, 49], [2, 50]]);
    expect(out[6]).toMatchObject({ device_id: 'bt-2', error: 'BB_BASYTEC_FILE_READ_FAILED' });
    expect(existsSync(join(dir, 'cursors.json'))).toBe(false);
  });
});
