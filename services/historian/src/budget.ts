/**
 * The historian's in-flight byte budget: line-protocol bytes built and not yet acknowledged by
 * InfluxDB, over all partitions handled at the same time (`pipeline.inFlightBytes`). A batch takes
 * its bytes before it is written and gives them back once InfluxDB acknowledged it (or it gave up),
 * so the memory held by batches in progress stays bounded however many partitions run at once.
 * Grants are first come, first served; a request larger than the whole budget is granted when
 * nothing else is held (it is then written alone). Pure bookkeeping: no timer, no I/O.
 */

/** A pending or granted request for bytes. */
export interface BudgetTicket {
  /** Resolves when the bytes are granted. */
  readonly granted: Promise<void>;
  /** Whether the bytes are granted now. */
  isGranted(): boolean;
  /** Withdraws a request not granted yet; gives the bytes back if it was granted. Idempotent. */
  cancel(): void;
}

/** First-come-first-served byte budget. */
export class ByteBudget {
  private used = 0;
  private readonly queue: { bytes: number; grant: () => void; cancelled: boolean }[] = [];

  /** @param limit - bytes that may be held at once (> 0). */
  constructor(readonly limit: number) {
    if (!(limit > 0)) throw new RangeError(`byte budget must be positive, got ${limit}`);
  }

  /** Bytes held now. */
  get inUse(): number {
    return this.used;
  }

  /** Requests still waiting. */
  get waiting(): number {
    return this.queue.filter((q) => !q.cancelled).length;
  }

  /** Requests `bytes` (≥ 0); release them with {@link ByteBudget.release} (or `cancel()` on the ticket) when done. */
  acquire(bytes: number): BudgetTicket {
    let granted = false;
    let done = false;
    let grant!: () => void;
    const promise = new Promise<void>((resolve) => {
      grant = () => {
        granted = true;
        resolve();
      };
    });
    const entry = { bytes, grant: () => grant(), cancelled: false };
    this.queue.push(entry);
    this.drain();
    return {
      granted: promise,
      isGranted: () => granted,
      cancel: () => {
        if (done) return;
        done = true;
        if (granted) this.release(bytes);
        else {
          entry.cancelled = true;
          this.drain();
        }
      },
    };
  }

  /** Gives back `bytes` granted before, and grants waiting requests that now fit. */
  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
    this.drain();
  }

  private drain(): void {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (head.cancelled) {
        this.queue.shift();
        continue;
      }
      if (this.used > 0 && this.used + head.bytes > this.limit) return;
      this.queue.shift();
      this.used += head.bytes;
      head.grant();
    }
  }
}
