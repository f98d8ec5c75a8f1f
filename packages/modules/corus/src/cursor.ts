/**
 * Persisted log-backfill cursors: per device one JSON file `<stateDir>/<deviceId>.json`
 * `{ "version": 1, "device": "<id>", "logs": { "<log>": { "lastRecordMs": 1602072000000, "lastRecordDeviceTime": "2020-10-07T12:00:00", "lastRecordKey": "0f00…" } } }`
 * — the last log record Kafka acknowledged, per log: its time, its device time, its bytes (`lastRecordKey`,
 * to find it again in the next answer), its sequence number when the log has one, and while a clock
 * set-back is being caught up `highWaterMs` / `rescanFromMs` (the driver's `LogCursorState`; files
 * written before those fields existed stay valid). Written atomically (temp file,
 * fsync, rename) and only after the acknowledgement, so a restart resumes right after the last
 * published record: no record is published twice by a clean stop, none is skipped.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogCursorState } from '@busbar/driver-itron-corus';
import { CorusCollectorError } from './errors.js';

/** The cursor of one log (the driver's cursor policy state, itron-corus driver README "Log cursor"). */
export type LogCursor = LogCursorState;

/** Cursors of one device, by log name. */
export type DeviceCursors = Readonly<Record<string, LogCursor>>;

/** Reads and writes cursor files in one directory. */
export class CursorStore {
  /** @param dir - the state directory (created on first write). */
  constructor(readonly dir: string) {}

  /** Path of a device's cursor file. */
  fileOf(deviceId: string): string {
    return join(this.dir, `${deviceId}.json`);
  }

  /**
   * Loads a device's cursors; `{}` when it has no file yet.
   * @throws {CorusCollectorError} `BB_CORUS_COLLECTOR_STATE_INVALID` for an unreadable or malformed file.
   */
  async load(deviceId: string): Promise<DeviceCursors> {
    const file = this.fileOf(deviceId);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new CorusCollectorError('BB_CORUS_COLLECTOR_STATE_INVALID', `cannot read cursor file ${file}: ${(err as Error).message}`, { cause: err });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new CorusCollectorError('BB_CORUS_COLLECTOR_STATE_INVALID', `cursor file ${file} is not JSON: ${(err as Error).message}`, { cause: err });
    }
    const logs = (parsed as { version?: unknown; logs?: unknown }).logs;
    if ((parsed as { version?: unknown }).version !== 1 || typeof logs !== 'object' || logs === null) throw new CorusCollectorError('BB_CORUS_COLLECTOR_STATE_INVALID', `cursor file ${file} is not a version 1 cursor file`);
    const out: Record<string, LogCursor> = {};
    for (const [log, c] of Object.entries(logs)) {
      const { lastRecordMs, lastRecordDeviceTime, lastRecordKey, lastRecordSequence, highWaterMs, rescanFromMs } = (c ?? {}) as Partial<Record<keyof LogCursor, unknown>>;
      if (typeof lastRecordMs !== 'number' || !Number.isSafeInteger(lastRecordMs) || typeof lastRecordDeviceTime !== 'string') throw new CorusCollectorError('BB_CORUS_COLLECTOR_STATE_INVALID', `cursor file ${file}: logs.${log} needs lastRecordMs (integer ms) and lastRecordDeviceTime (text)`);
      const optionalInt = (name: string, v: unknown): number | undefined => {
        if (v === undefined) return undefined;
        if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new CorusCollectorError('BB_CORUS_COLLECTOR_STATE_INVALID', `cursor file ${file}: logs.${log}.${name} must be an integer`);
        return v;
      };
      if (lastRecordKey !== undefined && typeof lastRecordKey !== 'string') throw new CorusCollectorError('BB_CORUS_COLLECTOR_STATE_INVALID', `cursor file ${file}: logs.${log}.lastRecordKey must be text`);
      const seq = optionalInt('lastRecordSequence', lastRecordSequence);
      const high = optionalInt('highWaterMs', highWaterMs);
      const rescan = optionalInt('rescanFromMs', rescanFromMs);
      out[log] = { lastRecordMs, lastRecordDeviceTime, ...(lastRecordKey !== undefined ? { lastRecordKey } : {}), ...(seq !== undefined ? { lastRecordSequence: seq } : {}), ...(high !== undefined ? { highWaterMs: high } : {}), ...(rescan !== undefined ? { rescanFromMs: rescan } : {}) };
    }
    return out;
  }

  /**
   * Replaces a device's cursors atomically: write `<file>.tmp`, fsync, rename over the file.
   * @throws {CorusCollectorError} `BB_CORUS_COLLECTOR_STATE_WRITE`.
   */
  async save(deviceId: string, cursors: DeviceCursors): Promise<void> {
    const file = this.fileOf(deviceId);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      await mkdir(this.dir, { recursive: true });
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(`${JSON.stringify({ version: 1, device: deviceId, logs: cursors }, null, 2)}\n`);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, file);
    } catch (err) {
      throw new CorusCollectorError('BB_CORUS_COLLECTOR_STATE_WRITE', `cannot write cursor file ${file}: ${(err as Error).message}`, { cause: err, retriable: true });
    }
  }
}
