/**
 * The one-request-in-flight queue shared by the MacNet transports: {@link RequestConnection} (JSON or
 * binary frames over TCP) and {@link BinaryUdpChannel} (binary frames over UDP). Maccor MacNet reference
 * §3.4 (one request at a time, wait for its reply) and §12 "Give commands priority".
 *
 * What it owns, and what the transport supplies:
 * - The queue: `enqueue()` appends a poll; a command (`priority: 'command'`) goes after the commands
 *   already queued and before the first queued poll. The job in flight is never overtaken.
 * - The pump: jobs run one at a time through the transport's `run(job)` (connect, `beforeWrite`, write,
 *   wait for the reply or the timeout: all transport-specific). The job's promise settles with what
 *   `run` resolves or throws.
 * - Metrics, once per job: `busbar_maccor_requests_total{transport,function,outcome}` (outcome `ok` or the
 *   error code, {@link errorCode}) and `busbar_maccor_request_duration_seconds{transport}` (time from
 *   leaving the queue to settling, seconds, from the injected clock).
 * - Close: `close()` fails every queued job with BB_MACCOR_CLIENT_CLOSED, then hands the same error to the
 *   transport's `abortInFlight` so that it rejects the `run` in progress (which clears its timer); later
 *   `enqueue()` calls reject at once with BB_MACCOR_CLIENT_CLOSED.
 */
import { errorCode, noopMetrics, systemClock } from '@busbar/core';
import type { Clock, Counter, Histogram, Metrics } from '@busbar/core';
import { MaccorError } from '../errors.js';

/** Queue position of a request: commands jump ahead of queued polls (reference §12). */
export type RequestPriority = 'command' | 'poll';

/** What the queue needs of a job: the function label used in metrics (bounded set, e.g. `GetChannelStatus`). */
export interface QueuedJob {
  readonly label: string;
}

/**
 * One request as the MacNet transports run it: bytes to write in one write or datagram, and how to
 * read the reply. `M` is the framed reply (a JSON object or a binary frame).
 */
export interface RequestJob<M> extends QueuedJob {
  /** The whole request, written in one `write()` / sent as one datagram. */
  readonly payload: Uint8Array;
  /** Turns the first framed reply into the result, or throws (BB_MACCOR_REPLY_MISMATCH, …). */
  readonly match: (message: M) => unknown;
  /** Reply timeout of this request, ms. */
  readonly timeoutMs: number;
  /** Called immediately before the bytes are written; a throw fails the request and nothing is written. */
  readonly beforeWrite: (() => void) | undefined;
}

/** Options of {@link RequestQueue}. */
export interface RequestQueueOptions<J extends QueuedJob> {
  /** `transport` label of the metrics: `json`, `binary` or `binary-udp`. */
  readonly transport: string;
  /** Runs one job on the wire; resolves with its result or rejects with its error. Never called concurrently. */
  readonly run: (job: J) => Promise<unknown>;
  /**
   * Called by {@link RequestQueue.close} with a BB_MACCOR_CLIENT_CLOSED error; the transport rejects the
   * `run` in progress with it (a no-op when nothing is in flight).
   */
  readonly abortInFlight: (err: MaccorError) => void;
  readonly metrics?: Metrics;
  readonly clock?: Clock;
}

interface Entry<J> {
  readonly job: J;
  readonly command: boolean;
  readonly resolve: (result: unknown) => void;
  readonly reject: (err: unknown) => void;
}

/** A FIFO of requests with command priority, run one at a time by a transport (see module doc). */
export class RequestQueue<J extends QueuedJob> {
  private readonly entries: Entry<J>[] = [];
  private running = false;
  private isClosed = false;
  private readonly clock: Clock;
  private readonly mRequests: Counter;
  private readonly mDuration: Histogram;

  /** @param options - transport label, `run`, `abortInFlight`, metrics and clock. */
  constructor(private readonly options: RequestQueueOptions<J>) {
    this.clock = options.clock ?? systemClock;
    const metrics: Metrics = options.metrics ?? noopMetrics;
    this.mRequests = metrics.counter({ name: 'busbar_maccor_requests_total', help: 'MacNet requests by function and outcome (ok or error code).', labelNames: ['transport', 'function', 'outcome'] });
    this.mDuration = metrics.histogram({ name: 'busbar_maccor_request_duration_seconds', help: 'MacNet request round-trip time.', labelNames: ['transport'], buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });
  }

  /** Whether {@link close} has been called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Queues `job` and starts the pump if idle. `R` is what `run` resolves with for this job (the caller
   * vouches for it).
   * @param priority - `command` goes before queued polls, after queued commands; default `poll` (last).
   * @throws MaccorError BB_MACCOR_CLIENT_CLOSED (queue closed, before or while queued or in flight), or
   *   whatever `run` throws for this job.
   */
  enqueue<R>(job: J, priority: RequestPriority = 'poll'): Promise<R> {
    if (this.isClosed) return Promise.reject(new MaccorError('BB_MACCOR_CLIENT_CLOSED', 'the MacNet client is closed'));
    return new Promise<R>((resolve, reject) => {
      const entry: Entry<J> = { job, command: priority === 'command', resolve: resolve as (result: unknown) => void, reject };
      const firstPoll = entry.command ? this.entries.findIndex((e) => !e.command) : -1;
      if (firstPoll < 0) this.entries.push(entry);
      else this.entries.splice(firstPoll, 0, entry);
      void this.pump();
    });
  }

  /**
   * Closes the queue: queued jobs fail with `queuedError` (default BB_MACCOR_CLIENT_CLOSED; the
   * transport passes BB_MACCOR_CONNECTION_LOST when its connection went), then `abortInFlight`
   * receives BB_MACCOR_CLIENT_CLOSED for the job in flight. The transport closes its socket afterwards.
   *
   * @param queuedError - what the queued jobs (never written) fail with.
   */
  close(queuedError: MaccorError = new MaccorError('BB_MACCOR_CLIENT_CLOSED', 'the MacNet client was closed')): void {
    this.isClosed = true;
    for (const entry of this.entries.splice(0)) entry.reject(queuedError);
    this.options.abortInFlight(new MaccorError('BB_MACCOR_CLIENT_CLOSED', 'the MacNet client was closed'));
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const { transport } = this.options;
    try {
      for (let entry = this.entries.shift(); entry; entry = this.entries.shift()) {
        const started = this.clock.nowMs();
        try {
          const result = await this.options.run(entry.job);
          this.mRequests.inc({ transport, function: entry.job.label, outcome: 'ok' });
          entry.resolve(result);
        } catch (err) {
          this.mRequests.inc({ transport, function: entry.job.label, outcome: errorCode(err) });
          entry.reject(err);
        } finally {
          this.mDuration.observe({ transport }, (this.clock.nowMs() - started) / 1000);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
