/**
 * Bookkeeping of set-MV commands per channel and MV, so that a command the CTI client coalesced
 * away can name the command that replaced it, and the command that was sent can list the ones it
 * absorbed. Pure (no timers, no I/O).
 *
 * The client (`ArbinCtiClient.setMetaVariable`) spaces set-MV sends to one channel at least 200 ms
 * apart (Arbin CTI reference README §5.4, §10) and replaces a queued, unsent request by the next
 * request for the same channel and MV. So a superseded command is always superseded by the next
 * command submitted for the same (channel, MV): {@link MvCoalescingLedger.submitted} records that
 * order before the client sees the request.
 */

/** One submitted set-MV command. */
interface Entry {
  readonly key: string;
  readonly value: number;
  next?: string;
  absorbed: string[];
}

/** Tracks submission order and coalescing of set-MV commands (keys are `device/channel/mv`). */
export class MvCoalescingLedger {
  private readonly entries = new Map<string, Entry>();
  private readonly newest = new Map<string, string>();

  /** The key of one channel's MV. */
  static key(deviceId: string, channel: number, mv: number): string {
    return `${deviceId}/${channel}/${mv}`;
  }

  /** Records that `commandId` (setting `value`) is about to be handed to the client. Call before the client call. */
  submitted(key: string, commandId: string, value: number): void {
    const prev = this.newest.get(key);
    if (prev !== undefined) {
      const e = this.entries.get(prev);
      if (e !== undefined) e.next = commandId;
    }
    this.entries.set(commandId, { key, value, absorbed: [] });
    this.newest.set(key, commandId);
  }

  /**
   * Records that `commandId` was superseded (never sent) and returns the command that replaced it
   * with its value; the replacement inherits everything `commandId` had absorbed.
   */
  superseded(commandId: string): { readonly by: string; readonly value: number } | undefined {
    const e = this.entries.get(commandId);
    if (e === undefined || e.next === undefined) return undefined;
    const by = this.entries.get(e.next);
    this.forget(commandId, e);
    if (by === undefined) return undefined;
    by.absorbed.push(...e.absorbed, commandId);
    return { by: e.next, value: by.value };
  }

  /** Records that `commandId` was sent (or failed) and returns the command ids it absorbed, oldest first. */
  settled(commandId: string): readonly string[] {
    const e = this.entries.get(commandId);
    if (e === undefined) return [];
    this.forget(commandId, e);
    return e.absorbed;
  }

  /** Number of commands tracked (for tests: zero once everything settled). */
  get size(): number {
    return this.entries.size;
  }

  private forget(commandId: string, e: Entry): void {
    this.entries.delete(commandId);
    if (this.newest.get(e.key) === commandId) this.newest.delete(e.key);
  }
}
