/**
 * Supervision of one device connection for a collector: connect, poll at a fixed interval,
 * and when the device stops answering, close, report the outage and reconnect with capped
 * exponential backoff, without restarting the process.
 *
 * The supervisor owns the device session: anything else that must talk to the same device
 * (a command for a single-session device, see docs/architecture.md "Single-session devices")
 * goes through {@link DeviceSupervisor.exclusive}, which runs between two polls.
 *
 * The loop never dies of a callback: an exception from `onConnected`, `onDisconnected` or
 * `session.close()` is logged with its code and counted in `busbar_device_errors_total`, and the loop
 * goes on (a failing `onConnected` counts as a failed connect: the session is closed and reopened
 * after the backoff, and no poll runs on it).
 */
import type { Clock, Logger, Metrics } from '@busbar/core';
import { backoffDelayMs, errorCode, noopLogger, noopMetrics, sleep, systemClock } from '@busbar/core';

/** The device-specific part: a protocol client behind three calls. */
export interface DeviceSession<TPoll> {
  /** Opens the connection (and signs on). @throws on failure (retried with backoff). */
  connect(): Promise<void>;
  /** Reads one poll's worth of data. @throws on failure (the session is then closed and reopened). */
  poll(): Promise<TPoll>;
  /** Closes the connection; should not throw (if it does, the error is logged and counted). */
  close(): Promise<void>;
}

/** What the supervisor reports. */
export interface SupervisorEvents<TPoll> {
  /** A poll succeeded; `atMs` is when it started (ms since epoch). */
  onPoll(result: TPoll, atMs: number): Promise<void> | void;
  /**
   * The session (re)connected; `outageMs` is how long it was down (0 at first connect).
   * If it throws, the connect counts as failed: the session is closed and retried after the backoff.
   */
  onConnected(info: { outageMs: number; attempts: number }): Promise<void> | void;
  /** The session was lost (or never came up); `error` is why. If it throws, the error is logged and counted. */
  onDisconnected(info: { error: unknown; code: string }): Promise<void> | void;
}

/** Timing of a supervisor, milliseconds. */
export interface SupervisorOptions {
  /** Device id, for logs and metric labels. */
  readonly deviceId: string;
  /** Poll interval (start to start), ms. */
  readonly pollIntervalMs: number;
  /** First reconnect delay, ms (default 250). */
  readonly reconnectInitialMs?: number;
  /** Longest reconnect delay, ms (default 30 000). */
  readonly reconnectMaxMs?: number;
  /** Consecutive failed polls before the session is considered lost (default 1). */
  readonly failuresBeforeReconnect?: number;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly clock?: Clock;
}

/**
 * Runs the connect → poll → reconnect loop for one device until {@link DeviceSupervisor.stop}.
 */
export class DeviceSupervisor<TPoll> {
  private running = false;
  private loop: Promise<void> | undefined;
  private stopping = new AbortController();
  private wakeSleep = new AbortController();
  private lost: { readonly error: unknown } | undefined;
  private connected = false;
  private lastError: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly m;

  /**
   * @param session - the device-specific client.
   * @param events - where polls and connection changes go.
   */
  constructor(
    private readonly session: DeviceSession<TPoll>,
    private readonly events: SupervisorEvents<TPoll>,
    private readonly options: SupervisorOptions,
  ) {
    this.log = (options.logger ?? noopLogger).child({ device: options.deviceId });
    this.clock = options.clock ?? systemClock;
    const metrics = options.metrics ?? noopMetrics;
    this.m = {
      up: metrics.gauge({ name: 'busbar_device_up', help: '1 when the device session is connected, else 0.', labelNames: ['device'] }),
      polls: metrics.counter({ name: 'busbar_device_polls_total', help: 'Polls attempted, by outcome.', labelNames: ['device', 'outcome'] }),
      errors: metrics.counter({ name: 'busbar_device_errors_total', help: 'Device errors by code.', labelNames: ['device', 'code'] }),
      pollSeconds: metrics.histogram({ name: 'busbar_device_poll_seconds', help: 'Duration of one poll.', labelNames: ['device'] }),
      overruns: metrics.counter({ name: 'busbar_device_poll_overruns_total', help: 'Polls that took longer than the poll interval.', labelNames: ['device'] }),
      reconnects: metrics.counter({ name: 'busbar_device_reconnects_total', help: 'Successful reconnections after an outage.', labelNames: ['device'] }),
    };
    this.m.up.set({ device: options.deviceId }, 0);
  }

  /** Whether the session is connected now. */
  get isConnected(): boolean {
    return this.connected;
  }

  /** The last error message (for `/healthz`), if any. */
  get lastErrorMessage(): string | undefined {
    return this.lastError;
  }

  /** Starts the loop (returns at once). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopping = new AbortController();
    this.loop = this.run().catch((error: unknown) => {
      // Last line of defence: every call in run() is guarded, so this is a programming error.
      this.running = false;
      this.setConnected(false);
      this.failed('supervisor loop', error);
    });
  }

  /**
   * Stops the loop, waits for the poll or connect in progress (not for a backoff delay), closes the
   * session. Never rejects: a failing `close()` is logged and counted.
   */
  async stop(): Promise<void> {
    this.running = false;
    this.stopping.abort();
    await this.loop;
    await this.queue.catch(() => undefined);
    await this.guard('session close', () => this.session.close());
    this.setConnected(false);
  }

  /**
   * Reports that the connected session was lost outside a poll (the client saw its connection
   * close): the loop wakes from its wait, reports the outage and reconnects — a device that dies
   * between two slow polls is noticed at once, not at the next poll. Ignored while not connected.
   */
  reportLost(error: unknown): void {
    if (!this.connected || !this.running) return;
    this.lost = { error };
    this.wakeSleep.abort();
  }

  /**
   * Runs `fn` while no poll is in progress (between two polls), on the connected session.
   * This is how a command reaches a single-session device.
   *
   * @throws whatever `fn` throws; `BB_DEVICE_NOT_CONNECTED`-style errors are `fn`'s to raise.
   */
  exclusive<R>(fn: () => Promise<R>): Promise<R> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private setConnected(up: boolean): void {
    this.connected = up;
    this.m.up.set({ device: this.options.deviceId }, up ? 1 : 0);
  }

  /** Logs and counts an exception from a callback or from `close()`. */
  private failed(what: string, error: unknown): void {
    const code = errorCode(error);
    this.m.errors.inc({ device: this.options.deviceId, code });
    this.log.error({ code, err: error instanceof Error ? error.message : String(error), what }, `${what} failed`);
  }

  /** Runs `fn`, logging and counting an exception instead of letting it out. @returns false if it threw. */
  private async guard(what: string, fn: () => Promise<void> | void): Promise<boolean> {
    try {
      await fn();
      return true;
    } catch (error) {
      this.failed(what, error);
      return false;
    }
  }

  /** Closes the session between two polls, never throwing. */
  private closeSession(): Promise<boolean> {
    return this.guard('session close', () => this.exclusive(() => this.session.close()));
  }

  /** Waits `ms`, or less if {@link stop} is called or the session is reported lost; returns at once when stopped. */
  private async sleep(ms: number): Promise<void> {
    if (!this.running) return;
    if (this.wakeSleep.signal.aborted) this.wakeSleep = new AbortController();
    if (this.lost !== undefined && this.connected) return; // reported lost during the poll: handle it now
    await sleep(ms, AbortSignal.any([this.stopping.signal, this.wakeSleep.signal]));
  }

  private async run(): Promise<void> {
    const device = this.options.deviceId;
    const initial = this.options.reconnectInitialMs ?? 250;
    const max = this.options.reconnectMaxMs ?? 30_000;
    const threshold = this.options.failuresBeforeReconnect ?? 1;
    let downSinceMs = this.clock.nowMs();
    let firstConnect = true;
    while (this.running) {
      // connect, with backoff
      let attempt = 0;
      while (this.running && !this.connected) {
        let handlerFailed = false;
        try {
          this.lost = undefined;
          await this.exclusive(() => this.session.connect());
          this.setConnected(true);
          const outageMs = firstConnect ? 0 : this.clock.nowMs() - downSinceMs;
          this.lastError = undefined;
          this.log.info({ outageMs, attempts: attempt + 1 }, 'device connected');
          try {
            await this.events.onConnected({ outageMs, attempts: attempt + 1 });
          } catch (error) {
            handlerFailed = true;
            throw error;
          }
          if (!firstConnect) this.m.reconnects.inc({ device });
          firstConnect = false;
        } catch (error) {
          // A failing onConnected is a failed connect too: no poll may run on the session it closes.
          this.setConnected(false);
          const code = errorCode(error);
          this.m.errors.inc({ device, code });
          this.lastError = error instanceof Error ? error.message : String(error);
          if (handlerFailed) this.log.error({ code, err: this.lastError, what: 'onConnected' }, 'onConnected failed; closing the session and reconnecting');
          // Reported once for a first connect that keeps failing, and after every failed onConnected
          // (its consumer may already have marked the device up).
          if (handlerFailed || (attempt === 0 && firstConnect)) await this.guard('onDisconnected', () => this.events.onDisconnected({ error, code }));
          const delay = backoffDelayMs(attempt++, { initialDelayMs: initial, maxDelayMs: max, jitter: 0.1 });
          this.log.warn({ code, err: this.lastError, retryInMs: delay, attempt }, 'device connect failed');
          await this.closeSession();
          if (!this.running) break;
          await this.sleep(delay);
        }
      }
      // poll until failure
      let failures = 0;
      while (this.running && this.connected) {
        const started = this.clock.nowMs();
        const lost = this.lost;
        if (lost !== undefined) {
          this.lost = undefined;
          const code = errorCode(lost.error);
          this.m.errors.inc({ device, code });
          this.lastError = lost.error instanceof Error ? lost.error.message : String(lost.error);
          this.log.warn({ code, err: this.lastError }, 'device session lost');
          this.setConnected(false);
          downSinceMs = started;
          await this.closeSession();
          await this.guard('onDisconnected', () => this.events.onDisconnected({ error: lost.error, code }));
          break;
        }
        const t0 = performance.now();
        try {
          const result = await this.exclusive(() => this.session.poll());
          failures = 0;
          this.m.polls.inc({ device, outcome: 'ok' });
          await this.events.onPoll(result, started);
        } catch (error) {
          const code = errorCode(error);
          failures++;
          this.m.polls.inc({ device, outcome: 'error' });
          this.m.errors.inc({ device, code });
          this.lastError = error instanceof Error ? error.message : String(error);
          this.log.warn({ code, err: this.lastError, failures }, 'poll failed');
          if (failures >= threshold) {
            this.setConnected(false);
            downSinceMs = started;
            await this.closeSession();
            await this.guard('onDisconnected', () => this.events.onDisconnected({ error, code }));
            break;
          }
        }
        const tookMs = performance.now() - t0;
        this.m.pollSeconds.observe({ device }, tookMs / 1000);
        if (tookMs > this.options.pollIntervalMs) this.m.overruns.inc({ device });
        if (this.running) await this.sleep(Math.max(0, this.options.pollIntervalMs - tookMs));
      }
    }
  }
}
