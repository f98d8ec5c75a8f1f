/**
 * Cross-check against PyProBE (pyprobe-data 2.6.1, ImperialCollegeLondon/PyProBE), a parser nobody
 * on this project wrote (reference §3.6): it reads the real sample and Busbar's parser must agree on
 * every row (time, voltage, current, step, plus capacity and temperature). Where PyProBE is wrong —
 * it opens files as UTF-8, so a genuine Latin-1 export fails — the case is checked against the
 * reference instead.
 *
 * PyProBE lives in its own venv (scripts/peers/setup-pyprobe-venv.sh, ~1.3 GB), found through
 * BUSBAR_PYPROBE_PYTHON or <repo>/.venv/pyprobe/bin/python. BUSBAR_SKIP_PYPROBE=1 skips this file.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parseResultfile } from '../../src/codec/resultfile.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../../../../', import.meta.url));
const skip = process.env['BUSBAR_SKIP_PYPROBE'] === '1';

function pyprobePython(): string {
  const py = process.env['BUSBAR_PYPROBE_PYTHON'] ?? `${repo}.venv/pyprobe/bin/python`;
  if (!existsSync(py)) throw new Error(`PyProBE Python not found at ${py}: run \`bash scripts/peers/setup-pyprobe-venv.sh\` (or set BUSBAR_PYPROBE_PYTHON, or BUSBAR_SKIP_PYPROBE=1)`);
  return py;
}

interface PyRow { date_us: number; step: number; time_s: number; current_a: number; voltage_v: number; capacity_ah: number; temperature_c: number }
type PyOut = { ok: true; rows: PyRow[] } | { ok: false; type: string; error: string };

async function pyprobeRead(path: string): Promise<PyOut> {
  const script = fileURLToPath(new URL('./pyprobe_read.py', import.meta.url));
  const { stdout } = await run(pyprobePython(), [script, path], { maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
  const last = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as PyOut;
}

const dir = mkdtempSync(join(tmpdir(), 'busbar-basytec-pyprobe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sample = readFileSync(new URL('../vectors/pyprobe_sample_data_basytec.txt', import.meta.url));

describe.skipIf(skip)('PyProBE cross-check (reference §3.6, §7)', () => {
  it('agrees with PyProBE on every row of the real sample: time, voltage, current, step, capacity, temperature', async () => {
    const path = join(dir, 'sample.txt');
    writeFileSync(path, sample);
    const py = await pyprobeRead(path);
    if (!py.ok) throw new Error(`PyProBE failed on its own sample: ${py.type}: ${py.error}`);
    // PyProBE's Date is naive local time; read ours in UTC so both count the same wall clock.
    const ours = parseResultfile(sample, { timeZone: 'UTC' });
    expect(ours.errors).toEqual([]);
    expect(py.rows).toHaveLength(74);
    expect(ours.rows).toHaveLength(py.rows.length);
    for (const [i, p] of py.rows.entries()) {
      const o = ours.rows[i]!;
      expect(o.elapsed_s, `row ${i + 1} time`).toBe(p.time_s);
      expect(o.values['voltage_v'], `row ${i + 1} voltage`).toBe(p.voltage_v);
      expect(o.values['current_a'], `row ${i + 1} current`).toBe(p.current_a);
      expect(o.line, `row ${i + 1} step`).toBe(p.step);
      expect(o.values['charge_ah'], `row ${i + 1} capacity`).toBe(p.capacity_ah);
      expect(o.values['temperature_1_c'], `row ${i + 1} temperature`).toBe(p.temperature_c);
      // PyProBE truncates to µs, we round to ms
      expect(Math.abs(o.timestampMs - p.date_us / 1000), `row ${i + 1} date`).toBeLessThanOrEqual(1);
    }
  });

  it('PyProBE refuses a genuine Latin-1 export (it opens files as UTF-8); ours reads it like the UTF-8 copy', async () => {
    // The same real file with the degree sign as the single Latin-1 byte 0xB0, as BaSyTec writes it (reference §3.1).
    const latin1 = Buffer.from(sample.toString('utf8').replace('\uFFFD', '°'), 'latin1');
    expect(latin1.includes(0xb0)).toBe(true);
    const path = join(dir, 'latin1.txt');
    writeFileSync(path, latin1);
    const py = await pyprobeRead(path);
    expect(py.ok).toBe(false);
    // pydantic wraps the UnicodeDecodeError of read_file's open(..., encoding="utf-8")
    if (!py.ok) expect(py.error).toMatch(/'utf-8' codec can't decode byte 0xb0/);
    const ours = parseResultfile(latin1, { timeZone: 'UTC' });
    const utf = parseResultfile(sample, { timeZone: 'UTC' });
    expect(ours.header.encoding).toBe('windows-1252');
    expect(ours.header.columns[22]?.header).toBe('T1[°C]');
    expect(ours.rows.map((r) => ({ ...r, endOffset: 0 }))).toEqual(utf.rows.map((r) => ({ ...r, endOffset: 0 })));
  });

  it('PyProBE cannot read a space-separated export with DateTime nor Time[h]; ours follows the reference (checked in unit tests)', async () => {
    const path = join(dir, 'space.txt');
    writeFileSync(path, readFileSync(new URL('../vectors/constructed_space_seconds_datetime_latin1.txt', import.meta.url)));
    const py = await pyprobeRead(path);
    expect(py.ok).toBe(false);
    expect(parseResultfile(readFileSync(path), { timeZone: 'UTC' }).rows).toHaveLength(9);
  });
});
