/**
 * The execution journal: a small durable record, on local disk, of the commands this process
 * started executing — SQLite through Node's built-in `node:sqlite`, WAL journal, as the collector's
 * store-and-forward buffer and the alert outbox keep theirs (`synchronous = FULL` here: an entry is
 * on disk when the call returns, before a byte leaves for the device).
 *
 * It narrows the re-execution window after a crash (issue 9):
 *   1. `started(id)` is written before the device write;
 *   2. `done(id, result)` after it, with the result to publish;
 *   3. after a restart, a command id found `done` is answered with its stored result (nothing is
 *      run), and one found `started` but not done is answered FAILED, outcome unknown ("may have
 *      executed"), instead of being run again.
 * What remains: a crash after the device acted and before `done` was written answers FAILED /
 * unknown for a command that did execute — never a second execution (docs/architecture.md).
 *
 * Entries are kept for `retainMs` after they were started (at least the longest command lifetime:
 * after that a repeat is refused by expiry anyway) and pruned at most once a minute.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { StatementSync } from 'node:sqlite';
import type { Clock, Logger } from '@busbar/core';
import { BusbarError, noopLogger, systemClock } from '@busbar/core';
import type { CommandResultInput, CommandStatus } from '@busbar/avro';

/** What the journal knows of a command id. */
export type JournalEntry =
  /** Started, never finished: the device may or may not have acted. */
  | { readonly state: 'started'; readonly startedAtMs: number }
  /** Finished with this result (published or not). */
  | { readonly state: 'done'; readonly startedAtMs: number; readonly result: CommandResultInput };

/** Options of {@link ExecutionJournal}. */
export interface ExecutionJournalOptions {
  /** SQLite file (created with its folder); `:memory:` keeps nothing across restarts (tests only). */
  readonly path: string;
  /** How long an entry is kept after it was started, ms (at least the longest command lifetime plus a margin). */
  readonly retainMs: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/** A result as stored: JSON, the timestamp in ms since the epoch. */
interface StoredResult {
  readonly command_id: string;
  readonly device_id: string;
  readonly channel: number | null;
  readonly action: string;
  readonly status: CommandStatus;
  readonly reason_code: string | null;
  readonly reason: string | null;
  readonly timestamp_ms: number;
  readonly details: Record<string, string>;
}

function toStored(r: CommandResultInput): StoredResult {
  return { command_id: r.command_id, device_id: r.device_id, channel: r.channel ?? null, action: r.action, status: r.status, reason_code: r.reason_code ?? null, reason: r.reason ?? null, timestamp_ms: r.timestamp.getTime(), details: { ...(r.details ?? {}) } };
}

function fromStored(s: StoredResult): CommandResultInput {
  const { timestamp_ms: ms, ...rest } = s;
  return { ...rest, timestamp: new Date(ms) };
}

/** Pruning runs at most this often, ms. */
const PRUNE_EVERY_MS = 60_000;

/**
 * A durable map command id → started | done + result.
 *
 * @throws {BusbarError} `BB_COMMAND_JOURNAL_UNUSABLE` from the constructor when the file cannot be
 *   opened or is not a journal of this format.
 */
export class ExecutionJournal {
  private readonly db: DatabaseSync;
  private readonly getStmt: StatementSync;
  private readonly startStmt: StatementSync;
  private readonly doneStmt: StatementSync;
  private readonly pruneStmt: StatementSync;
  private readonly clock: Clock;
  private readonly log: Logger;
  private prunedAtMs = Number.NEGATIVE_INFINITY;

  /** @param options - see {@link ExecutionJournalOptions}. */
  constructor(private readonly options: ExecutionJournalOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? noopLogger;
    try {
      if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
      this.db = new DatabaseSync(options.path);
      this.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;');
      this.db.exec('CREATE TABLE IF NOT EXISTS executions (command_id TEXT PRIMARY KEY, started_ms INTEGER NOT NULL, result TEXT)');
      this.getStmt = this.db.prepare('SELECT started_ms, result FROM executions WHERE command_id = ?');
      this.startStmt = this.db.prepare('INSERT OR REPLACE INTO executions (command_id, started_ms, result) VALUES (?, ?, NULL)');
      this.doneStmt = this.db.prepare('INSERT INTO executions (command_id, started_ms, result) VALUES (?, ?, ?) ON CONFLICT (command_id) DO UPDATE SET result = excluded.result');
      this.pruneStmt = this.db.prepare('DELETE FROM executions WHERE started_ms < ?');
    } catch (cause) {
      throw this.unusable('cannot be used', cause);
    }
    this.prune();
    const unfinished = (this.db.prepare('SELECT count(*) AS n FROM executions WHERE result IS NULL').get() as { n: number }).n;
    if (Number(unfinished) > 0) this.log.warn({ unfinished: Number(unfinished), path: options.path }, 'the execution journal holds commands started and never finished before the restart; they will be answered FAILED (outcome unknown), not run again');
  }

  /**
   * What is known of `commandId`, or `undefined` when it was never started here (or was pruned).
   *
   * @throws {BusbarError} `BB_COMMAND_JOURNAL_UNUSABLE` when the file cannot be read.
   */
  lookup(commandId: string): JournalEntry | undefined {
    let row: { started_ms: number; result: string | null } | undefined;
    try {
      row = this.getStmt.get(commandId) as typeof row;
    } catch (cause) {
      throw this.unusable('cannot be read', cause);
    }
    if (row === undefined) return undefined;
    const startedAtMs = Number(row.started_ms);
    if (row.result === null) return { state: 'started', startedAtMs };
    return { state: 'done', startedAtMs, result: fromStored(JSON.parse(row.result) as StoredResult) };
  }

  /**
   * Records that `commandId` is about to be sent to the device; on disk when it returns.
   *
   * @throws {BusbarError} `BB_COMMAND_JOURNAL_UNUSABLE` when the write fails (then send nothing).
   */
  started(commandId: string): void {
    const now = this.clock.nowMs();
    if (now - this.prunedAtMs >= PRUNE_EVERY_MS) this.prune();
    try {
      this.startStmt.run(commandId, now);
    } catch (cause) {
      throw this.unusable('cannot be written', cause);
    }
  }

  /**
   * Records the result of `commandId` (after the device write, before it is published).
   *
   * @throws {BusbarError} `BB_COMMAND_JOURNAL_UNUSABLE` when the write fails.
   */
  done(commandId: string, result: CommandResultInput): void {
    try {
      this.doneStmt.run(commandId, this.clock.nowMs(), JSON.stringify(toStored(result)));
    } catch (cause) {
      throw this.unusable('cannot be written', cause);
    }
  }

  /** Entries held (tests, metrics). */
  get size(): number {
    return Number((this.db.prepare('SELECT count(*) AS n FROM executions').get() as { n: number }).n);
  }

  /** Closes the file. */
  close(): void {
    if (this.db.isOpen) this.db.close();
  }

  private prune(): void {
    const now = this.clock.nowMs();
    this.prunedAtMs = now;
    try {
      this.pruneStmt.run(now - this.options.retainMs);
    } catch (cause) {
      throw this.unusable('cannot be pruned', cause);
    }
  }

  private unusable(what: string, cause: unknown): BusbarError {
    return new BusbarError('BB_COMMAND_JOURNAL_UNUSABLE', `execution journal ${this.options.path} ${what}: ${(cause as Error).message}`, { cause, context: { path: this.options.path } });
  }
}
