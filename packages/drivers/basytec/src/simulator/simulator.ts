/**
 * A BaSyTec "software" stand-in for tests and the demo: runs a test plan on a simulated cell
 * ({@link simulateRows}) in real time and, as configured,
 * - appends each data set to a growing Resultfile in an export directory (reference §3),
 * - inserts it into a database through a {@link DbSink} (the same configured mapping the
 *   database source reads, reference §5),
 * - answers RCI command templates over TCP ({@link RciSimulator}, reference §6).
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { simulateRows, DEFAULT_PLAN } from './model.js';
import type { SimRow, SimTest } from './model.js';
import { ResultfileFormat } from './resultfile-writer.js';
import type { ResultfileFormatOptions } from './resultfile-writer.js';
import { startRciSimulator } from './rci-simulator.js';
import type { RciSimulator, RciSimulatorOptions } from './rci-simulator.js';

/** Receives simulated rows (e.g. the database writer of the simulator). */
export interface DbSink {
  /** Called once before the first row. */
  begin(test: { testId: number; name: string; channel: string; start: string }): Promise<void>;
  /** Rows in order. */
  write(rows: readonly SimRow[]): Promise<void>;
}

/** Options of {@link startBasytecSimulator}. */
export interface BasytecSimulatorOptions {
  /** The test to run. @default DEFAULT_PLAN, endless cycles, 1 s sampling */
  readonly test?: SimTest;
  /** Rows written per second of wall time (independent of the sampling period). @default 10 */
  readonly rowsPerSecond?: number;
  /** Write a growing Resultfile here. */
  readonly resultfile?: { readonly dir: string; readonly fileName?: string; readonly format?: ResultfileFormatOptions };
  /** Write rows to a database. */
  readonly db?: { readonly sink: DbSink; readonly testId?: number };
  /** Answer RCI templates over TCP. */
  readonly rci?: RciSimulatorOptions;
  /** Stop after this many rows (undefined: run until stopped). */
  readonly maxRows?: number;
}

/** A running simulator. */
export interface BasytecSimulator extends AsyncDisposable {
  /** The Resultfile path, when writing one. */
  readonly filePath: string | undefined;
  /** The RCI server, when started. */
  readonly rci: RciSimulator | undefined;
  /** Rows written so far. */
  written(): number;
  /** Resolves when `maxRows` rows are written (never when unbounded). */
  readonly done: Promise<void>;
  /** Stops writing and the RCI server. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the simulator. Rows are emitted in ticks of 100 ms (so 10 rows/s is one row per tick).
 * @returns a handle; `await using sim = await startBasytecSimulator(...)` stops it at scope end.
 */
export async function startBasytecSimulator(opts: BasytecSimulatorOptions = {}): Promise<BasytecSimulator> {
  const rate = opts.rowsPerSecond ?? 10;
  const gen = simulateRows(opts.test ?? { plan: DEFAULT_PLAN, cycles: Infinity });
  const fmt = opts.resultfile === undefined ? undefined : new ResultfileFormat(opts.resultfile.format);
  const filePath = opts.resultfile === undefined ? undefined : join(opts.resultfile.dir, opts.resultfile.fileName ?? 'sim_test.txt');
  let fh: FileHandle | undefined;
  if (fmt !== undefined && filePath !== undefined) {
    fh = await open(filePath, 'w');
    await fh.write(fmt.preamble());
  }
  if (opts.db !== undefined) {
    const f = fmt ?? new ResultfileFormat();
    await opts.db.sink.begin({ testId: opts.db.testId ?? 1, name: f.o.testName ?? 'sim_test', channel: f.o.channel ?? '0001 CH01 SIM', start: f.wallClock(0) });
  }
  const rci = opts.rci === undefined ? undefined : await startRciSimulator(opts.rci);
  let count = 0;
  let stopped = false;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const t0 = Date.now();
  let running: Promise<void> = Promise.resolve();
  const tick = async (): Promise<void> => {
    const due = Math.floor(((Date.now() - t0) / 1000) * rate) + 1;
    const batch: SimRow[] = [];
    while (count + batch.length < due && (opts.maxRows === undefined || count + batch.length < opts.maxRows)) {
      const n = gen.next();
      if (n.done === true) break;
      batch.push(n.value);
    }
    if (batch.length === 0) return;
    if (fh !== undefined && fmt !== undefined) await fh.write(fmt.rows(batch));
    if (opts.db !== undefined) await opts.db.sink.write(batch);
    count += batch.length;
    if (opts.maxRows !== undefined && count >= opts.maxRows) resolveDone();
  };
  const timer = setInterval(() => {
    if (stopped) return;
    running = running.then(tick).catch(() => undefined);
  }, 100);
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    await running;
    await fh?.close();
    await rci?.close();
  };
  return { filePath, rci, written: () => count, done, stop, [Symbol.asyncDispose]: stop };
}
