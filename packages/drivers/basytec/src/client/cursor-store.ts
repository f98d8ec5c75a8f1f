/**
 * Persisted cursors of the BaSyTec sources (the Resultfile tailer, the database poller): an
 * injected key/value store interface, and a JSON-file implementation whose writes are atomic
 * (write a temporary file, fsync it, rename it over the old one, fsync the directory), so a crash
 * leaves either the old or the new state, never a torn file.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { BasytecError } from '../errors.js';

/** JSON-serialisable cursor value. */
export type CursorValue = null | boolean | number | string | readonly CursorValue[] | { readonly [k: string]: CursorValue };

/**
 * Where cursors live. Keys are opaque strings chosen by the source (e.g. `file:<name>`,
 * `test:<name>|<channel>|<start>`, `db:<table>`). Implementations must make `set`/`setMany`
 * durable before resolving.
 */
export interface CursorStore {
  /** The stored value, or undefined. */
  get(key: string): Promise<CursorValue | undefined>;
  /** Stores several keys in one durable write (atomically, for implementations that can). */
  setMany(entries: Readonly<Record<string, CursorValue>>): Promise<void>;
  /** Removes keys. */
  delete(keys: readonly string[]): Promise<void>;
}

/**
 * A {@link CursorStore} in one JSON file (`{"version":1,"cursors":{...}}`). The whole map is
 * held in memory (cursors are small: one per file or table) and rewritten atomically on every
 * change; writes are serialised.
 */
export class JsonFileCursorStore implements CursorStore {
  private map: Record<string, CursorValue> = {};
  private chain: Promise<void> = Promise.resolve();

  private constructor(readonly path: string) {}

  /**
   * Opens (or creates on first write) the store at `path`.
   * @throws {BasytecError} `BB_BASYTEC_CURSOR_STORE_FAILED` when the file exists but cannot be read or is not a cursor file.
   */
  static async open(path: string): Promise<JsonFileCursorStore> {
    const s = new JsonFileCursorStore(path);
    let text: string | undefined;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new BasytecError('BB_BASYTEC_CURSOR_STORE_FAILED', `cannot read cursor file ${path}: ${(err as Error).message}`, { cause: err, context: { path } });
      }
    }
    if (text !== undefined) {
      try {
        const parsed = JSON.parse(text) as { version?: unknown; cursors?: unknown };
        if (parsed.version !== 1 || typeof parsed.cursors !== 'object' || parsed.cursors === null) throw new Error('not a version-1 cursor file');
        s.map = parsed.cursors as Record<string, CursorValue>;
      } catch (err) {
        throw new BasytecError('BB_BASYTEC_CURSOR_STORE_FAILED', `cursor file ${path} is not valid: ${(err as Error).message}`, { cause: err, context: { path } });
      }
    }
    return s;
  }

  /** @inheritdoc */
  get(key: string): Promise<CursorValue | undefined> {
    return Promise.resolve(this.map[key]);
  }

  /** All keys starting with `prefix` and their values (a snapshot). */
  entries(prefix = ''): [string, CursorValue][] {
    return Object.entries(this.map).filter(([k]) => k.startsWith(prefix));
  }

  /**
   * @inheritdoc
   * @throws {BasytecError} `BB_BASYTEC_CURSOR_STORE_FAILED` when the atomic write fails (the in-memory map keeps the new values; the file the old ones).
   */
  setMany(entries: Readonly<Record<string, CursorValue>>): Promise<void> {
    Object.assign(this.map, entries);
    return this.flush();
  }

  /** @inheritdoc */
  delete(keys: readonly string[]): Promise<void> {
    for (const k of keys) delete this.map[k];
    return this.flush();
  }

  private flush(): Promise<void> {
    const snapshot = JSON.stringify({ version: 1, cursors: this.map });
    const next = this.chain.then(() => this.write(snapshot));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async write(text: string): Promise<void> {
    const dir = dirname(this.path);
    const tmp = join(dir, `.${basename(this.path)}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await mkdir(dir, { recursive: true });
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(text);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.path);
      const d = await open(dir, 'r');
      try {
        await d.sync();
      } finally {
        await d.close();
      }
    } catch (err) {
      await rm(tmp, { force: true });
      throw new BasytecError('BB_BASYTEC_CURSOR_STORE_FAILED', `cannot write cursor file ${this.path}: ${(err as Error).message}`, { cause: err, context: { path: this.path } });
    }
  }
}

/** An in-memory {@link CursorStore} (tests, `--test` runs). */
export class MemoryCursorStore implements CursorStore {
  private readonly map = new Map<string, CursorValue>();
  /** @inheritdoc */
  get(key: string): Promise<CursorValue | undefined> {
    return Promise.resolve(this.map.get(key));
  }
  /** @inheritdoc */
  setMany(entries: Readonly<Record<string, CursorValue>>): Promise<void> {
    for (const [k, v] of Object.entries(entries)) this.map.set(k, v);
    return Promise.resolve();
  }
  /** @inheritdoc */
  delete(keys: readonly string[]): Promise<void> {
    for (const k of keys) this.map.delete(k);
    return Promise.resolve();
  }
}
