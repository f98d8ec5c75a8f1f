/**
 * Live tailing of a BaSyTec export directory (reference §3; §3.7 items 7 and 9). Resultfiles that
 * grow while a test runs are read incrementally; each file's cursor (byte offset, line number,
 * inode, header) and each test's highest acknowledged `DataSet` are persisted through an injected
 * {@link CursorStore}, and advanced **only when the caller acknowledges** a batch (the collector
 * acknowledges after Kafka did). A restart resumes at the last acknowledged row: unacknowledged
 * rows are delivered again, acknowledged ones never.
 *
 * Rewrites and rotations are detected by inode change, size shrink, or a changed preamble/header;
 * the file is then read again from its start, and rows whose `DataSet` is not above the test's
 * high-water mark are dropped. The test key is (`Name of Test`, `Testchannel`, `Start of Test`),
 * so a re-export of the same test under another file name is de-duplicated the same way. This
 * assumes `DataSet` only grows within a test (true of every public sample, reference §3.3).
 *
 * Watching: chokidar (inotify/FSEvents/polling behind one API, handles atomic-rename writers) wakes
 * the tailer early; a periodic stat sweep (`pollIntervalMs`) is always on, because exports often sit
 * on SMB/NFS shares of the Windows test PC where no change events arrive.
 *
 * Memory is bounded: at most `readChunkBytes` are read per file and poll, batches hold at most
 * `maxBatchRows` rows, and the consumer pulls (`next()`), so a 150 MB file streams through.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { watch } from 'chokidar';
import type { FSWatcher } from 'chokidar';
import { noopLogger } from '@busbar/core';
import type { Logger } from '@busbar/core';
import { ResultfileParser } from '../codec/resultfile.js';
import type { ParserOptions, ResultfileHeader, ResultRow } from '../codec/resultfile.js';
import { BasytecError, isBasytecError } from '../errors.js';
import type { CursorStore, CursorValue } from './cursor-store.js';

/** Options of {@link ResultfileTailer}. */
export interface TailerOptions {
  /** The export directory (only its top level is read). */
  readonly dir: string;
  /** Where cursors are persisted (e.g. a `JsonFileCursorStore`). */
  readonly store: CursorStore;
  /** IANA zone of the test PC (reference §3.2). */
  readonly timeZone: string;
  /** Which file names are Resultfiles. @default /\.txt$/i */
  readonly filePattern?: RegExp;
  /** Stat sweep period, ms. @default 1000 */
  readonly pollIntervalMs?: number;
  /** Bytes read per file and poll. @default 262144 */
  readonly readChunkBytes?: number;
  /** Rows per batch at most. @default 1000 */
  readonly maxBatchRows?: number;
  /** Use chokidar to wake early on changes. @default true */
  readonly watch?: boolean;
  /** Make chokidar poll instead of inotify (network shares). @default false */
  readonly watchUsePolling?: boolean;
  /** Passed to the parser. */
  readonly encoding?: ParserOptions['encoding'];
  /** Passed to the parser. */
  readonly timestampSource?: ParserOptions['timestampSource'];
  /** Structured logger. @default noopLogger */
  readonly logger?: Logger;
}

/** The (test name, channel, start) triple of a Resultfile preamble (reference §3.2, §3.7 item 9). */
export interface TestIdentity {
  readonly testName: string | undefined;
  readonly channel: string | undefined;
  readonly startOfTest: string | undefined;
}

/** Rows of one file, delivered in file order; acknowledge with {@link ResultfileTailer.ack}. */
export interface TailBatch {
  /** File name within the directory. */
  readonly file: string;
  /** Test identity from the preamble. */
  readonly test: TestIdentity;
  /** Header of the file (columns, separator, encoding, preamble keys). */
  readonly header: ResultfileHeader | undefined;
  /** New rows (never one already acknowledged for this test). */
  readonly rows: readonly ResultRow[];
  /** Row errors (skipped lines) and file errors (a file that is not a Resultfile). */
  readonly errors: readonly BasytecError[];
  /** Whether the file was found rewritten/rotated and read again from its start before this batch. */
  readonly restarted: boolean;
  /** Delivery number (increasing). */
  readonly seq: number;
}

interface FileCursor {
  ino: number;
  offset: number;
  lineNumber: number;
  headerLine: string;
}

interface Pending {
  seq: number;
  acked: boolean;
  cursor: FileCursor | undefined;
  testKey: string | undefined;
  high: number | undefined;
}

interface FileState {
  name: string;
  ino: number;
  readPos: number;
  parser: ResultfileParser;
  header: ResultfileHeader | undefined;
  preamble: Buffer | undefined;
  testKey: string | undefined;
  failed: boolean;
  restarted: boolean;
  pending: Pending[];
}

const FILE_KEY = 'basytec.file:';
const TEST_KEY = 'basytec.test:';

/** Whether `err` is one of this package's errors. */
function asBasytec(err: unknown, file: string): BasytecError {
  if (isBasytecError(err)) return err;
  return new BasytecError('BB_BASYTEC_FILE_READ_FAILED', `${file}: ${(err as Error).message}`, { cause: err, context: { file } });
}

/** The de-duplication key of a test (reference §3.7 item 9), or undefined when the preamble lacks all three. */
export function testKeyOf(h: ResultfileHeader): string | undefined {
  const { testName, channel, startOfTest } = h.meta;
  if (testName === undefined && channel === undefined && startOfTest === undefined) return undefined;
  return JSON.stringify([testName ?? null, channel ?? null, startOfTest ?? null]);
}

/**
 * Tails the Resultfiles of one export directory. Create with {@link ResultfileTailer.open}, pull
 * batches with {@link next} (or `for await`), acknowledge each with {@link ack}, {@link close} at the end.
 */
export class ResultfileTailer implements AsyncIterable<TailBatch> {
  private readonly opts: Required<Pick<TailerOptions, 'pollIntervalMs' | 'readChunkBytes' | 'maxBatchRows'>> & TailerOptions;
  private readonly files = new Map<string, FileState>();
  private readonly ready: TailBatch[] = [];
  private readonly delivered = new Map<string, number>();
  private readonly log: Logger;
  private watcher: FSWatcher | undefined;
  private wake: (() => void) | undefined;
  private closed = false;
  private seq = 0;
  private nextChain: Promise<void> = Promise.resolve();
  /** Which file state each delivered, unacknowledged batch came from. */
  private readonly owner = new Map<number, FileState>();
  private lostError: Error | undefined;
  private lostResolve!: (e: Error) => void;
  /** Resolves (never rejects) with the error when the directory cannot be read any more; `next()` then throws it. */
  readonly lost: Promise<Error>;

  private constructor(opts: TailerOptions) {
    const pollIntervalMs = opts.pollIntervalMs ?? 1000;
    const readChunkBytes = opts.readChunkBytes ?? 256 * 1024;
    const maxBatchRows = opts.maxBatchRows ?? 1000;
    for (const [field, v, min] of [['pollIntervalMs', pollIntervalMs, 10], ['readChunkBytes', readChunkBytes, 1024], ['maxBatchRows', maxBatchRows, 1]] as const) {
      if (!Number.isInteger(v) || v < min) throw new BasytecError('BB_BASYTEC_CONFIG_INVALID', `${field} must be an integer ≥ ${min}, got ${String(v)}`, { context: { field } });
    }
    this.opts = { ...opts, pollIntervalMs, readChunkBytes, maxBatchRows };
    this.log = (opts.logger ?? noopLogger).child({ component: 'basytec-tailer', dir: opts.dir });
    this.lost = new Promise((r) => (this.lostResolve = r));
  }

  /**
   * Checks the directory and the zone, starts the watcher.
   * @throws {BasytecError} `BB_BASYTEC_FILE_READ_FAILED` when `dir` is not a readable directory; `BB_BASYTEC_CONFIG_INVALID`, `BB_BASYTEC_TIME_ZONE_INVALID`.
   */
  static async open(opts: TailerOptions): Promise<ResultfileTailer> {
    const t = new ResultfileTailer(opts);
    new ResultfileParser({ timeZone: opts.timeZone }); // validates the zone now
    try {
      const st = await stat(opts.dir);
      if (!st.isDirectory()) throw new Error('not a directory');
    } catch (err) {
      throw new BasytecError('BB_BASYTEC_FILE_READ_FAILED', `export directory ${opts.dir}: ${(err as Error).message}`, { cause: err, context: { dir: opts.dir } });
    }
    if (opts.watch !== false) {
      t.watcher = watch(opts.dir, { depth: 0, ignoreInitial: true, usePolling: opts.watchUsePolling ?? false, interval: t.opts.pollIntervalMs });
      t.watcher.on('all', () => t.wake?.());
      t.watcher.on('error', (err) => t.log.warn({ err: (err as Error).message }, 'watcher error; the stat sweep goes on'));
    }
    return t;
  }

  /**
   * The next batch: returns at once when rows are waiting, else waits for the file system.
   * Concurrent calls are served one after the other (never two reads of one file at once).
   * @returns undefined once the tailer is closed.
   * @throws {BasytecError} `BB_BASYTEC_FILE_READ_FAILED` when the directory became unreadable (see {@link lost}).
   */
  next(): Promise<TailBatch | undefined> {
    const p = this.nextChain.then(() => this.nextOne());
    this.nextChain = p.then(
      () => undefined,
      () => undefined,
    );
    return p;
  }

  /**
   * Like {@link next}, but never waits for the file system: returns a batch already waiting, else
   * sweeps the directory once (one chunk per file) and returns the first batch that produced, or
   * undefined when there is nothing new. For a caller that schedules its own polls (the collector
   * module). Serialised with {@link next}.
   * @throws {BasytecError} `BB_BASYTEC_FILE_READ_FAILED` when the directory became unreadable (see {@link lost}).
   */
  nextReady(): Promise<TailBatch | undefined> {
    const p = this.nextChain.then(async () => {
      if (this.lostError !== undefined) throw this.lostError;
      const waiting = this.ready.shift();
      if (waiting !== undefined || this.closed) return waiting;
      await this.poll();
      return this.ready.shift();
    });
    this.nextChain = p.then(
      () => undefined,
      () => undefined,
    );
    return p;
  }

  private async nextOne(): Promise<TailBatch | undefined> {
    for (;;) {
      if (this.lostError !== undefined) throw this.lostError;
      const b = this.ready.shift();
      if (b !== undefined) return b;
      if (this.closed) return undefined;
      const progressed = await this.poll();
      if (this.ready.length > 0 || this.closed) continue;
      if (progressed) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.opts.pollIntervalMs);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.wake = done;
      });
      this.wake = undefined;
    }
  }

  /** `for await (const batch of tailer)`: ends when the tailer is closed. */
  async *[Symbol.asyncIterator](): AsyncIterator<TailBatch> {
    for (;;) {
      const b = await this.next();
      if (b === undefined) return;
      yield b;
    }
  }

  /**
   * Acknowledges a batch: once every earlier batch of the same file is acknowledged too, the file
   * cursor and the test's high-water `DataSet` are persisted (one atomic store write).
   * @throws {BasytecError} `BB_BASYTEC_CURSOR_STORE_FAILED` from the store (the cursor stays where it was).
   */
  async ack(batch: TailBatch): Promise<void> {
    const fs = this.owner.get(batch.seq);
    if (fs === undefined) return;
    this.owner.delete(batch.seq);
    const p = fs.pending.find((x) => x.seq === batch.seq);
    if (p === undefined) return;
    p.acked = true;
    // A batch of a file version replaced since (rotation, rewrite): its test high-water still counts,
    // its byte cursor does not (it points into the old version).
    await this.persist(fs, this.files.get(fs.name) === fs);
  }

  /** Stops the watcher; a waiting `next()` returns undefined. Unacknowledged rows are delivered again after a restart. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake?.();
    await this.watcher?.close();
  }

  private async persist(fs: FileState, current = true): Promise<void> {
    const entries: Record<string, CursorValue> = {};
    let cursor: FileCursor | undefined;
    while (fs.pending[0]?.acked === true) {
      const p = fs.pending.shift() as Pending;
      if (p.cursor !== undefined) cursor = p.cursor;
      if (p.testKey !== undefined && p.high !== undefined) {
        const prev = (await this.opts.store.get(TEST_KEY + p.testKey)) as number | undefined;
        const k = TEST_KEY + p.testKey;
        entries[k] = Math.max(p.high, prev ?? -Infinity, (entries[k] as number | undefined) ?? -Infinity);
      }
    }
    if (cursor !== undefined && current) entries[FILE_KEY + fs.name] = { ...cursor };
    if (Object.keys(entries).length > 0) await this.opts.store.setMany(entries);
  }

  private async poll(): Promise<boolean> {
    let names: string[];
    try {
      names = (await readdir(this.opts.dir)).filter((n) => this.opts.filePattern?.test(n) ?? /\.txt$/i.test(n)).sort();
    } catch (err) {
      this.lostError = new BasytecError('BB_BASYTEC_FILE_READ_FAILED', `export directory ${this.opts.dir} cannot be read: ${(err as Error).message}`, { cause: err, context: { dir: this.opts.dir } });
      this.lostResolve(this.lostError);
      throw this.lostError;
    }
    let progressed = false;
    for (const name of names) {
      if (this.closed) break;
      try {
        if (await this.pollFile(name)) progressed = true;
      } catch (err) {
        const e = asBasytec(err, name);
        this.log.warn({ file: name, code: e.code }, e.message);
        this.emit(this.files.get(name), name, [], [e], undefined);
      }
    }
    return progressed;
  }

  private newParser(): ResultfileParser {
    return new ResultfileParser({ timeZone: this.opts.timeZone, encoding: this.opts.encoding, timestampSource: this.opts.timestampSource });
  }

  private fresh(name: string, ino: number, restarted: boolean): FileState {
    return { name, ino, readPos: 0, parser: this.newParser(), header: undefined, preamble: undefined, testKey: undefined, failed: false, restarted, pending: [] };
  }

  /** Reads the header of `path` from its start (preamble and first data line), or undefined when not complete yet. */
  private async readHeader(path: string): Promise<{ header: ResultfileHeader; preamble: Buffer } | undefined> {
    const fh = await open(path, 'r');
    try {
      const p = this.newParser();
      const buf = Buffer.alloc(64 * 1024);
      let pos = 0;
      while (p.header === undefined && pos < 4 * 1024 * 1024) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
        if (bytesRead === 0) return undefined;
        p.push(buf.subarray(0, bytesRead));
        pos += bytesRead;
      }
      const header = p.header;
      if (header === undefined) return undefined;
      const preamble = Buffer.alloc(header.dataOffset);
      await fh.read(preamble, 0, preamble.length, 0);
      return { header, preamble };
    } finally {
      await fh.close();
    }
  }

  private async openState(name: string, path: string, ino: number, size: number): Promise<FileState> {
    const c = (await this.opts.store.get(FILE_KEY + name)) as FileCursor | undefined;
    if (c === undefined) return this.fresh(name, ino, false);
    if (c.ino !== ino || size < c.offset) {
      this.log.info({ file: name }, 'file replaced or truncated since the stored cursor; reading it again from the start');
      return this.fresh(name, ino, true);
    }
    const h = await this.readHeader(path);
    if (h === undefined || h.header.headerLine !== c.headerLine) return this.fresh(name, ino, true);
    const parser = new ResultfileParser({ timeZone: this.opts.timeZone, encoding: this.opts.encoding, timestampSource: this.opts.timestampSource, resume: { header: h.header, offset: c.offset, lineNumber: c.lineNumber } });
    return { name, ino, readPos: c.offset, parser, header: h.header, preamble: h.preamble, testKey: testKeyOf(h.header), failed: false, restarted: false, pending: [] };
  }

  private async pollFile(name: string): Promise<boolean> {
    const path = join(this.opts.dir, name);
    let st;
    try {
      st = await stat(path, { bigint: false });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.files.delete(name);
        return false;
      }
      throw err;
    }
    let fs = this.files.get(name);
    if (fs === undefined) {
      fs = await this.openState(name, path, st.ino, st.size);
      this.files.set(name, fs);
    } else if (st.ino !== fs.ino || st.size < fs.readPos) {
      this.log.info({ file: name, ino: st.ino, size: st.size }, 'file rotated or rewritten; reading it again from the start');
      fs = this.fresh(name, st.ino, true);
      this.files.set(name, fs);
    } else if (st.size > fs.readPos && fs.preamble !== undefined && !(await this.preambleUnchanged(path, fs.preamble))) {
      this.log.info({ file: name }, 'preamble or header changed; reading the file again from the start');
      fs = this.fresh(name, st.ino, true);
      this.files.set(name, fs);
    }
    if (fs.failed || st.size <= fs.readPos) return false;
    const len = Math.min(this.opts.readChunkBytes, st.size - fs.readPos);
    const buf = Buffer.allocUnsafe(len);
    const fh = await open(path, 'r');
    let n: number;
    try {
      n = (await fh.read(buf, 0, len, fs.readPos)).bytesRead;
    } finally {
      await fh.close();
    }
    if (n === 0) return false;
    fs.readPos += n;
    let out;
    try {
      out = fs.parser.push(buf.subarray(0, n));
    } catch (err) {
      fs.failed = true;
      throw err;
    }
    if (fs.header === undefined && fs.parser.header !== undefined) {
      fs.header = fs.parser.header;
      fs.testKey = testKeyOf(fs.header);
      fs.preamble = Buffer.from(buf.subarray(0, Math.min(n, fs.header.dataOffset)));
      if (fs.preamble.length < fs.header.dataOffset) fs.preamble = (await this.readHeader(path))?.preamble;
    }
    const key = fs.testKey;
    const floor = key === undefined ? -Infinity : Math.max(this.delivered.get(key) ?? -Infinity, ((await this.opts.store.get(TEST_KEY + key)) as number | undefined) ?? -Infinity);
    const rows = out.rows.filter((r) => r.data_set > floor);
    const max = this.opts.maxBatchRows;
    const end = { offset: fs.parser.consumedOffset, lineNumber: fs.parser.nextLineNumber };
    if (rows.length === 0) this.emit(fs, name, [], out.errors, end);
    for (let i = 0; i < rows.length; i += max) {
      const part = rows.slice(i, i + max);
      const lastRow = part[part.length - 1] as ResultRow;
      const cursorAfter = i + max >= rows.length ? end : { offset: lastRow.endOffset, lineNumber: lastRow.lineNumber + 1 };
      this.emit(fs, name, part, i === 0 ? out.errors : [], cursorAfter);
    }
    return true;
  }

  private async preambleUnchanged(path: string, preamble: Buffer): Promise<boolean> {
    const fh = await open(path, 'r');
    try {
      const now = Buffer.alloc(preamble.length);
      const { bytesRead } = await fh.read(now, 0, now.length, 0);
      return bytesRead === preamble.length && now.equals(preamble);
    } finally {
      await fh.close();
    }
  }

  private emit(fs: FileState | undefined, name: string, rows: ResultRow[], errors: BasytecError[], cursorAfter: { offset: number; lineNumber: number } | undefined): void {
    const seq = ++this.seq;
    const high = rows.length === 0 ? undefined : Math.max(...rows.map((r) => r.data_set));
    const header = fs?.header ?? fs?.parser.header;
    const cursor = fs !== undefined && cursorAfter !== undefined && header !== undefined ? { ino: fs.ino, offset: cursorAfter.offset, lineNumber: cursorAfter.lineNumber, headerLine: header.headerLine } : undefined;
    if (fs !== undefined) {
      const testKey = fs.testKey;
      if (testKey !== undefined && high !== undefined) this.delivered.set(testKey, Math.max(high, this.delivered.get(testKey) ?? -Infinity));
      // Nothing to hand out: acknowledged at once, persisted with the next real acknowledgement.
      fs.pending.push({ seq, acked: rows.length === 0 && errors.length === 0, cursor, testKey, high });
    }
    if (rows.length === 0 && errors.length === 0) return;
    if (fs !== undefined) this.owner.set(seq, fs);
    const restarted = fs?.restarted ?? false;
    if (fs !== undefined) fs.restarted = false;
    this.ready.push({
      file: name,
      test: { testName: header?.meta.testName, channel: header?.meta.channel, startOfTest: header?.meta.startOfTest },
      header,
      rows,
      errors,
      restarted,
      seq,
    });
  }
}
