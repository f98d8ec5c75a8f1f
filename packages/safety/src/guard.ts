/**
 * At-most-once and expiry for commands.
 *
 * A command id is remembered for `dedupWindowMs` after its expiry: a command cannot be executed
 * after it expires, so remembering it longer is pointless, and remembering it until then is
 * enough to refuse every repeat. (The commander rebuilds this memory at start from the results
 * topic; see services/commander.)
 */
import type { Clock } from '@busbar/core';
import { systemClock } from '@busbar/core';

/** The fields of a command the guard looks at. */
export interface GuardedCommand {
  /** Unique id chosen by the issuer. */
  readonly command_id: string;
  /** Not executed after this time. */
  readonly expires_at: Date;
}

/** Verdict of {@link CommandGuard.admit}. */
/**
 * Verdict of {@link CommandGuard.admit}. `STALE`: expired longer ago than the longest lifetime — the
 * ids answered that long ago are no longer known (they are reloaded only for one lifetime), so
 * whether it was answered cannot be told: it gets no result at all (a replay of old history).
 */
export type Admission = { readonly admit: true } | { readonly admit: false; readonly why: 'DUPLICATE' | 'EXPIRED' | 'STALE' | 'LIFETIME_TOO_LONG' };

/** Options of {@link CommandGuard}. */
export interface CommandGuardOptions {
  /** Clock (default system). */
  readonly clock?: Clock;
  /** Longest accepted lifetime of a command from now to its expiry, ms (default 1 h); a longer one is refused (`LIFETIME_TOO_LONG`), which bounds how long ids must be remembered. */
  readonly maxLifetimeMs?: number;
  /** Every id is remembered at least this long after it was first seen, ms (default 10 min), so a quick re-delivery of an expired command gets no second result. */
  readonly graceMs?: number;
}

/** Remembers command ids; admits each id once and never after its expiry. */
export class CommandGuard {
  private readonly seen = new Map<string, number>();
  private readonly clock: Clock;
  private readonly maxLifetimeMs: number;
  private readonly graceMs: number;
  private prunedAtMs = Number.NEGATIVE_INFINITY;

  /** @param options - clock and max lifetime. */
  constructor(options: CommandGuardOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.maxLifetimeMs = options.maxLifetimeMs ?? 3_600_000;
    this.graceMs = options.graceMs ?? 600_000;
  }

  /**
   * Decides whether `cmd` may run now, and remembers its id if it is not yet known (so a second
   * call with the same id is a duplicate, whatever the first verdict was).
   */
  admit(cmd: GuardedCommand): Admission {
    const now = this.clock.nowMs();
    this.prune(now);
    if (this.seen.has(cmd.command_id)) return { admit: false, why: 'DUPLICATE' };
    const expiresAtMs = cmd.expires_at.getTime();
    if (expiresAtMs < now - this.maxLifetimeMs) return { admit: false, why: 'STALE' };
    this.remember(cmd.command_id, expiresAtMs);
    if (expiresAtMs <= now) return { admit: false, why: 'EXPIRED' };
    if (expiresAtMs > now + this.maxLifetimeMs) return { admit: false, why: 'LIFETIME_TOO_LONG' };
    return { admit: true };
  }

  /** Records an id as handled (e.g. read back from the results topic at start). */
  remember(commandId: string, expiresAtMs: number): void {
    const now = this.clock.nowMs();
    this.seen.set(commandId, Math.max(Math.min(expiresAtMs, now + this.maxLifetimeMs), now + this.graceMs));
    // An id whose command outlives maxLifetimeMs was refused at admission, so forgetting it then is safe:
    // a re-delivery is refused again for the same reason.
  }

  /** Whether `commandId` was admitted or remembered and is still remembered (a repeat would be a duplicate). */
  knows(commandId: string): boolean {
    return this.seen.has(commandId);
  }

  /** Ids currently remembered. */
  get size(): number {
    return this.seen.size;
  }

  private prune(now: number): void {
    if (now - this.prunedAtMs < 1000) return; // a full scan at most once a second, not per command
    this.prunedAtMs = now;
    for (const [id, until] of this.seen) if (until < now) this.seen.delete(id);
  }
}
