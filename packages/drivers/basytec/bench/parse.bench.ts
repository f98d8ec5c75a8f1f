/**
 * Resultfile parse throughput with bounded memory: generates a ~150 MB export (tab-separated,
 * Latin-1, seconds, DateTime column; the simulator's 16 columns, so ~150 bytes a row) in a temp
 * directory, streams it through ResultfileParser in 64 KiB chunks, and prints rows/s, MB/s and the
 * peak RSS of the process (which must stay far below the file size), then the same for a
 * 29-column row shaped like the PyProBE sample (tests/vectors), and the tailer reading the file
 * from a directory with acknowledgements.
 * Run: npm run bench -w @busbar/driver-basytec   (prints figures; no assertions)
 * BASYTEC_BENCH_MB=N changes the size.
 */
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { ResultfileParser } from '../src/codec/resultfile.js';
import { ResultfileTailer } from '../src/client/tailer.js';
import { MemoryCursorStore } from '../src/client/cursor-store.js';
import { ResultfileFormat } from '../src/simulator/resultfile-writer.js';
import { simulateRows, DEFAULT_PLAN } from '../src/simulator/model.js';

const TARGET_MB = Number(process.env['BASYTEC_BENCH_MB'] ?? 150);
const dir = mkdtempSync(join(tmpdir(), 'busbar-basytec-bench-'));

async function generate(path: string, write: (out: NodeJS.WritableStream) => Promise<void>): Promise<number> {
  const out = createWriteStream(path);
  await write(out);
  out.end();
  await once(out, 'finish');
  return statSync(path).size;
}

async function writeSimulated(out: NodeJS.WritableStream): Promise<void> {
  const f = new ResultfileFormat({ separator: 'tab', encoding: 'latin1', dateTimeColumn: true });
  out.write(f.preamble());
  let bytes = 0;
  let batch = [];
  for (const r of simulateRows({ plan: DEFAULT_PLAN, cycles: Infinity, sample_s: 1 })) {
    batch.push(r);
    if (batch.length === 5000) {
      const b = f.rows(batch);
      bytes += b.length;
      if (!out.write(b)) await once(out, 'drain');
      batch = [];
      if (bytes >= TARGET_MB * 1e6) break;
    }
  }
}

async function writePyprobeShaped(out: NodeJS.WritableStream): Promise<void> {
  // preamble + header of the real sample, then its rows repeated with DataSet and time renumbered
  const sample = readFileSync(new URL('../test/vectors/pyprobe_sample_data_basytec.txt', import.meta.url), 'utf8').split('\n');
  const headerIdx = sample.findIndex((l) => !l.startsWith('~')) - 1;
  out.write(sample.slice(0, headerIdx + 1).join('\n') + '\n');
  const rows = sample.slice(headerIdx + 1).filter((l) => l !== '').map((l) => l.split('\t'));
  let bytes = 0;
  let ds = 0;
  let chunk = '';
  for (let rep = 0; bytes < (TARGET_MB / 3) * 1e6; rep++) {
    for (const r of rows) {
      ds++;
      const f = [...r];
      f[0] = String(rep * 70.3 + Number(r[0]));
      f[1] = String(ds);
      chunk += f.join('\t') + '\n';
    }
    if (chunk.length > 1e6) {
      bytes += chunk.length;
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.write(chunk);
}

async function parseFile(path: string): Promise<{ rows: number; errors: number; seconds: number }> {
  const p = new ResultfileParser({ timeZone: 'Europe/Berlin' });
  let rows = 0;
  let errors = 0;
  const t0 = performance.now();
  for await (const chunk of createReadStream(path, { highWaterMark: 64 * 1024 })) {
    const o = p.push(chunk as Buffer);
    rows += o.rows.length;
    errors += o.errors.length;
  }
  rows += p.end().rows.length;
  return { rows, errors, seconds: (performance.now() - t0) / 1000 };
}

async function tailFile(path: string): Promise<{ rows: number; seconds: number }> {
  const d = mkdtempSync(join(tmpdir(), 'busbar-basytec-bench-tail-'));
  const { copyFileSync } = await import('node:fs');
  copyFileSync(path, join(d, 'export.txt'));
  const t = await ResultfileTailer.open({ dir: d, store: new MemoryCursorStore(), timeZone: 'Europe/Berlin', watch: false, pollIntervalMs: 10 });
  const size = statSync(path).size;
  let rows = 0;
  const t0 = performance.now();
  for (;;) {
    const b = await t.next();
    if (b === undefined) break;
    rows += b.rows.length;
    await t.ack(b);
    if ((b.rows[b.rows.length - 1]?.endOffset ?? 0) >= size) break;
  }
  await t.close();
  rmSync(d, { recursive: true, force: true });
  return { rows, seconds: (performance.now() - t0) / 1000 };
}

function report(name: string, bytes: number, r: { rows: number; seconds: number; errors?: number }): void {
  const mb = bytes / 1e6;
  process.stdout.write(
    `${name}: ${mb.toFixed(1)} MB, ${r.rows} rows${r.errors === undefined ? '' : `, ${r.errors} errors`} in ${r.seconds.toFixed(2)} s → ` +
      `${Math.round(r.rows / r.seconds).toLocaleString('en')} rows/s, ${(mb / r.seconds).toFixed(1)} MB/s; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB\n`,
  );
}

// Each measurement runs in its own child process so that its peak RSS is its own.
const [mode, file, label] = process.argv.slice(2);
if (mode === '--parse' || mode === '--tail') {
  rmSync(dir, { recursive: true, force: true });
  const r = mode === '--parse' ? await parseFile(file as string) : await tailFile(file as string);
  report(label as string, statSync(file as string).size, r);
} else {
  try {
    process.stdout.write(`node ${process.version}; target ${TARGET_MB} MB\n`);
    const sim = join(dir, 'sim.txt');
    await generate(sim, writeSimulated);
    const py = join(dir, 'pyprobe-shaped.txt');
    await generate(py, writePyprobeShaped);
    const { execFileSync } = await import('node:child_process');
    const self = new URL(import.meta.url).pathname;
    const run = (m: string, f: string, l: string): void => {
      execFileSync(process.execPath, [...process.execArgv, self, m, f, l], { stdio: 'inherit' });
    };
    run('--parse', sim, 'parser, simulator export (16 columns, DateTime, tab, Latin-1)');
    run('--parse', py, 'parser, PyProBE-shaped export (29 columns, Time[s], UTF-8)');
    run('--tail', sim, 'tailer (1000-row batches, acknowledged to a memory store), simulator export');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
