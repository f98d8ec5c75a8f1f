/**
 * Event-driven reception (safety-rig reference §10 proposal 1, fixing defect D5 "a quiet bus freezes
 * the loop"): every frame is decoded with the DBC as it arrives; a staleness timer per message reports
 * a message (and a BMU) that stops arriving, with its id and age; BMUs are discovered from the PDO id
 * ranges (node id = COB-ID − PDO base). Nothing ever waits for a frame, so a quiet bus blocks nothing.
 * Timers come from an injectable {@link Scheduler} and {@link Clock}, so unit tests use fake time.
 */
import { noopLogger, systemClock } from '@busbar/core';
import type { Clock, Logger } from '@busbar/core';
import { checkNodeIdRange, nodeOfCobId, SYNC_COB_ID } from '../codec/canopen.js';
import type { NodeIdRange } from '../codec/canopen.js';
import type { Dbc, DbcMessage } from '../codec/dbc.js';
import type { CanFrame } from '../codec/frame.js';
import { formatCanId } from '../codec/frame.js';
import { decodeMessage } from '../codec/signals.js';
import type { DecodedMessage } from '../codec/signals.js';
import { CanError } from '../errors.js';
import type { CanTransport } from './transport.js';

/** One-shot timers (the global `setTimeout` by default; tests inject a fake). */
export interface Scheduler {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The global timers, unref'd so that they never keep a process alive. */
export const systemScheduler: Scheduler = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** Staleness limit used for messages without a GenMsgCycleTime, ms. */
export const DEFAULT_STALE_AFTER_MS = 2000;
/** With a GenMsgCycleTime, a message is stale after this many cycles without a frame. */
export const DEFAULT_STALE_CYCLES = 3;

/** A decoded frame with its arrival and node. */
export interface ReceivedMessage extends DecodedMessage {
  readonly frame: CanFrame;
  /** Arrival time (injected clock), ms since the Unix epoch. */
  readonly receivedAtMs: number;
  /** BMU node id when the id is a PDO of a node in range. */
  readonly nodeId?: number;
  /** PDO number 1..8 when `nodeId` is set. */
  readonly pdo?: number;
}

/** A message (or BMU) that stopped arriving. */
export interface StaleReport {
  /** Message name (for a BMU: the node's most recently seen message). */
  readonly message: string;
  /** Frame id of that message. */
  readonly id: number;
  readonly extended: boolean;
  readonly nodeId?: number;
  /** Time since its last frame, ms. */
  readonly ageMs: number;
  /** Arrival time of its last frame, ms since the Unix epoch. */
  readonly lastSeenMs: number;
}

/** Events of a {@link CanReceiver}. */
export interface ReceiverEvents {
  /** A frame of a DBC message, decoded. */
  message: (m: ReceivedMessage) => void;
  /** A message that was arriving has not for its staleness limit (reported once until it resumes). */
  stale: (r: StaleReport) => void;
  /** A stale message arrived again. */
  resumed: (r: StaleReport) => void;
  /** A node id seen for the first time. */
  'bmu-discovered': (nodeId: number, id: number) => void;
  /** No PDO of a discovered BMU for `bmuStaleAfterMs` (reported once until it resumes). */
  'bmu-stale': (r: StaleReport) => void;
  /** A stale BMU sent a PDO again. */
  'bmu-resumed': (r: StaleReport) => void;
  /** A frame of a DBC message that does not decode (wrong length); reception goes on. */
  error: (err: CanError, frame: CanFrame) => void;
}

/** Options of {@link CanReceiver}. */
export interface ReceiverOptions {
  readonly transport: CanTransport;
  readonly dbc: Dbc;
  /**
   * Staleness limit per message, ms: a number for all, or a function of the message; by default
   * {@link DEFAULT_STALE_CYCLES} × GenMsgCycleTime when the DBC gives one, else {@link DEFAULT_STALE_AFTER_MS}.
   */
  readonly staleAfterMs?: number | ((message: DbcMessage) => number);
  /** Staleness limit of a BMU (no PDO at all), ms. @default DEFAULT_STALE_AFTER_MS */
  readonly bmuStaleAfterMs?: number;
  /** BMU node id range and PDO bases (reference §3.2). */
  readonly nodes?: NodeIdRange;
  /** Ids whose staleness is not watched (e.g. SYNC, which we send ourselves). @default [0x080] */
  readonly unwatchedIds?: readonly number[];
  readonly clock?: Clock;
  readonly scheduler?: Scheduler;
  readonly logger?: Logger;
}

interface Watch {
  lastSeenMs: number;
  timer: unknown;
  stale: boolean;
  limitMs: number;
  report: () => StaleReport;
}

/**
 * Decodes every frame of a transport with a DBC, watches staleness per message and per BMU and
 * discovers BMUs. Call {@link CanReceiver.stop} to detach (the transport stays open).
 */
export class CanReceiver {
  private readonly listeners: { [K in keyof ReceiverEvents]: Set<ReceiverEvents[K]> } = {
    message: new Set(), stale: new Set(), resumed: new Set(), 'bmu-discovered': new Set(), 'bmu-stale': new Set(), 'bmu-resumed': new Set(), error: new Set(),
  };
  private readonly clock: Clock;
  private readonly scheduler: Scheduler;
  private readonly logger: Logger;
  private readonly range: Required<NodeIdRange>;
  private readonly messageWatch = new Map<DbcMessage, Watch>();
  private readonly bmuWatch = new Map<number, Watch & { last: DbcMessage | CanFrame }>();
  private readonly unwatched: Set<number>;
  private readonly detach: () => void;
  private stopped = false;
  /** Frames whose id the DBC does not define. */
  unknownFrames = 0;
  /** Frames decoded. */
  decodedFrames = 0;

  /**
   * @param options - {@link ReceiverOptions}.
   * @throws {CanError} `BB_CAN_INVALID_ARGUMENT` for a bad node range or a non-positive staleness limit.
   */
  constructor(private readonly options: ReceiverOptions) {
    this.clock = options.clock ?? systemClock;
    this.scheduler = options.scheduler ?? systemScheduler;
    this.logger = options.logger ?? noopLogger;
    this.range = checkNodeIdRange(options.nodes);
    this.unwatched = new Set(options.unwatchedIds ?? [SYNC_COB_ID]);
    const bmuLimit = options.bmuStaleAfterMs ?? DEFAULT_STALE_AFTER_MS;
    if (!(bmuLimit > 0)) throw new CanError('BB_CAN_INVALID_ARGUMENT', `bmuStaleAfterMs must be > 0, got ${bmuLimit}`);
    if (typeof options.staleAfterMs === 'number' && !(options.staleAfterMs > 0)) throw new CanError('BB_CAN_INVALID_ARGUMENT', `staleAfterMs must be > 0, got ${options.staleAfterMs}`);
    this.detach = options.transport.onFrame((f) => this.onFrame(f));
  }

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof ReceiverEvents>(event: K, listener: ReceiverEvents[K]): () => void {
    this.listeners[event].add(listener);
    return () => this.listeners[event].delete(listener);
  }

  /** Node ids of the BMUs seen so far, ascending. */
  bmus(): number[] {
    return [...this.bmuWatch.keys()].sort((a, b) => a - b);
  }

  /** Messages currently stale, with their age now. */
  staleMessages(): StaleReport[] {
    return [...this.messageWatch.values()].filter((w) => w.stale).map((w) => w.report());
  }

  /** Detaches from the transport and cancels every timer. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.detach();
    for (const w of [...this.messageWatch.values(), ...this.bmuWatch.values()]) if (w.timer !== undefined) this.scheduler.clearTimeout(w.timer);
  }

  private emit<K extends keyof ReceiverEvents>(event: K, ...args: Parameters<ReceiverEvents[K]>): void {
    for (const l of this.listeners[event]) {
      try {
        (l as (...a: Parameters<ReceiverEvents[K]>) => void)(...args);
      } catch (err) {
        this.logger.error({ event, err: (err as Error).message }, 'CAN receiver listener threw');
      }
    }
  }

  private limitFor(m: DbcMessage): number {
    const s = this.options.staleAfterMs;
    if (typeof s === 'function') return s(m);
    if (typeof s === 'number') return s;
    return m.cycleTimeMs !== undefined && m.cycleTimeMs > 0 ? DEFAULT_STALE_CYCLES * m.cycleTimeMs : DEFAULT_STALE_AFTER_MS;
  }

  private onFrame(frame: CanFrame): void {
    if (this.stopped) return;
    const now = this.clock.nowMs();
    const node = nodeOfCobId(frame.id, frame.extended, this.range);
    const message = this.options.dbc.messageById(frame.id, frame.extended);
    if (node !== undefined) this.touchBmu(node.nodeId, frame, message, now);
    if (message === undefined) {
      this.unknownFrames++;
      return;
    }
    let decoded: DecodedMessage;
    try {
      decoded = decodeMessage(message, frame.data);
    } catch (err) {
      this.emit('error', err as CanError, frame);
      return;
    }
    this.decodedFrames++;
    if (!(frame.extended === false && this.unwatched.has(frame.id))) this.touchMessage(message, now, node?.nodeId);
    this.emit('message', { ...decoded, frame, receivedAtMs: now, ...(node === undefined ? {} : { nodeId: node.nodeId, pdo: node.pdo }) });
  }

  private arm(w: Watch, onStale: (r: StaleReport) => void): void {
    const check = (): void => {
      w.timer = undefined;
      if (this.stopped) return;
      const age = this.clock.nowMs() - w.lastSeenMs;
      if (age >= w.limitMs) {
        w.stale = true;
        onStale(w.report());
      } else {
        w.timer = this.scheduler.setTimeout(check, w.limitMs - age);
      }
    };
    w.timer = this.scheduler.setTimeout(check, w.limitMs - (this.clock.nowMs() - w.lastSeenMs));
  }

  private touchMessage(m: DbcMessage, now: number, nodeId: number | undefined): void {
    let w = this.messageWatch.get(m);
    if (w === undefined) {
      const limitMs = this.limitFor(m);
      if (!(limitMs > 0)) throw new CanError('BB_CAN_INVALID_ARGUMENT', `staleness limit of ${m.name} must be > 0, got ${limitMs}`);
      const watch: Watch = {
        lastSeenMs: now, timer: undefined, stale: false, limitMs,
        report: () => ({ message: m.name, id: m.id, extended: m.extended, ...(nodeId === undefined ? {} : { nodeId }), ageMs: this.clock.nowMs() - watch.lastSeenMs, lastSeenMs: watch.lastSeenMs }),
      };
      w = watch;
      this.messageWatch.set(m, w);
    }
    w.lastSeenMs = now;
    if (w.stale) {
      w.stale = false;
      this.emit('resumed', w.report());
    }
    if (w.timer === undefined) this.arm(w, (r) => {
      this.logger.warn({ message: r.message, id: formatCanId(r.id, r.extended), ageMs: r.ageMs }, 'CAN message stale');
      this.emit('stale', r);
    });
  }

  private touchBmu(nodeId: number, frame: CanFrame, message: DbcMessage | undefined, now: number): void {
    let w = this.bmuWatch.get(nodeId);
    if (w === undefined) {
      const watch: Watch & { last: DbcMessage | CanFrame } = {
        lastSeenMs: now, timer: undefined, stale: false, limitMs: this.options.bmuStaleAfterMs ?? DEFAULT_STALE_AFTER_MS, last: message ?? frame,
        report: () => ({ message: 'name' in watch.last ? watch.last.name : formatCanId(watch.last.id, false), id: watch.last.id, extended: false, nodeId, ageMs: this.clock.nowMs() - watch.lastSeenMs, lastSeenMs: watch.lastSeenMs }),
      };
      w = watch;
      this.bmuWatch.set(nodeId, w);
      this.logger.info({ nodeId, id: formatCanId(frame.id, false) }, 'BMU discovered');
      this.emit('bmu-discovered', nodeId, frame.id);
    }
    w.last = message ?? frame;
    w.lastSeenMs = now;
    if (w.stale) {
      w.stale = false;
      this.emit('bmu-resumed', w.report());
    }
    if (w.timer === undefined) this.arm(w, (r) => {
      this.logger.warn({ nodeId, ageMs: r.ageMs }, 'BMU stale');
      this.emit('bmu-stale', r);
    });
  }
}

/** Options of {@link startSyncSender}. */
export interface SyncSenderOptions {
  readonly transport: CanTransport;
  /** Period, ms (the rig DBC's SYNC cycle time is 100 ms, reference §3.2). */
  readonly periodMs: number;
  /** COB-ID. @default 0x080 */
  readonly id?: number;
  /** Payload. @default [0xFF] (the original client's Sync_Count, reference §3.2) */
  readonly data?: Uint8Array;
  readonly scheduler?: Scheduler;
  readonly logger?: Logger;
}

/** A running SYNC sender. */
export interface SyncSender {
  /** SYNC frames sent. */
  sent(): number;
  /** Send failures (logged; the sender stops when the transport is closed or lost). */
  failures(): number;
  stop(): void;
}

/**
 * Sends a SYNC frame every `periodMs` (first one immediately) until stopped or the transport is
 * lost/closed. A send never overlaps the previous one.
 * @throws {CanError} `BB_CAN_INVALID_ARGUMENT` for a period ≤ 0.
 */
export function startSyncSender(options: SyncSenderOptions): SyncSender {
  if (!(options.periodMs > 0)) throw new CanError('BB_CAN_INVALID_ARGUMENT', `SYNC periodMs must be > 0, got ${options.periodMs}`);
  const scheduler = options.scheduler ?? systemScheduler;
  const logger = options.logger ?? noopLogger;
  const frame: CanFrame = { id: options.id ?? SYNC_COB_ID, extended: false, data: options.data ?? Uint8Array.of(0xff) };
  let sent = 0;
  let failures = 0;
  let stopped = false;
  let timer: unknown;
  void options.transport.lost.then(() => {
    stopped = true;
    if (timer !== undefined) scheduler.clearTimeout(timer);
  });
  const tick = (): void => {
    timer = undefined;
    if (stopped) return;
    void options.transport.send(frame).then(
      () => {
        sent++;
      },
      (err: unknown) => {
        failures++;
        if ((err as CanError).code === 'BB_CAN_TRANSPORT_CLOSED') stopped = true;
        logger.warn({ err: (err as Error).message }, 'SYNC send failed');
      },
    ).finally(() => {
      if (!stopped) timer = scheduler.setTimeout(tick, options.periodMs);
    });
  };
  tick();
  return {
    sent: () => sent,
    failures: () => failures,
    stop: () => {
      stopped = true;
      if (timer !== undefined) scheduler.clearTimeout(timer);
    },
  };
}
