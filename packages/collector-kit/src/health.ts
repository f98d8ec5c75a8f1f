/**
 * `/readyz` of a collector: one check per device session and one for forwarding to Kafka.
 *
 * - `device:<id>`: ok while the device's session is connected; otherwise the supervisor's last
 *   error (`connecting` before the first attempt ended);
 * - `forwarding`: ok unless the store-and-forward buffer is behind (Kafka does not acknowledge, or
 *   the oldest buffered record is older than `buffer.degradedAfterMs`) or cannot store records —
 *   the reason is {@link CollectorKit.forwardingProblem}'s sentence.
 *
 * A collector serves no traffic, so "not ready" means "not doing its whole job now" (a device
 * down, readings not reaching Kafka): the reasons say which. Liveness (`/livez`) is the runtime's.
 */
import type { RunningService } from '@busbar/runtime';

/** What `/readyz` reports (the runtime's type): named checks, ready when all pass. */
export type Readiness = ReturnType<NonNullable<RunningService['ready']>>;
type ReadinessCheck = Readiness[string];

/** A device session as {@link collectorReadiness} sees it. */
export interface SessionState {
  /** Whether the session is connected (polls run). */
  readonly connected: boolean;
  /** The last connect or poll error, when there is one. */
  readonly lastError?: string | undefined;
}

/**
 * The readiness checks of a collector.
 *
 * @param sessions - device id → its session's state, in the order the checks should be listed.
 * @param forwardingProblem - why forwarding is behind (a sentence), `undefined` when it is not.
 * @returns `{ 'device:<id>': …, forwarding: … }`; ready when every check is ok.
 */
export function collectorReadiness(sessions: ReadonlyMap<string, SessionState>, forwardingProblem: string | undefined): Readiness {
  const checks: Record<string, ReadinessCheck> = {};
  for (const [id, s] of sessions) checks[`device:${id}`] = s.connected ? { ok: true } : { ok: false, reason: s.lastError === undefined ? 'connecting' : `session down: ${s.lastError}` };
  checks.forwarding = forwardingProblem === undefined ? { ok: true } : { ok: false, reason: forwardingProblem };
  return checks;
}
