/**
 * Whether InfluxDB accepts the historian's writes, asked without writing anything: an empty write
 * request (`POST /api/v2/write?org=…&bucket=…` with no lines) answers 204 when the token may write
 * to the bucket, 401 when the token is not valid, 404 when the organization or the bucket does not
 * exist (InfluxDB 2 HTTP API, `POST /api/v2/write`; checked against influxd 2.7 in
 * `test/influx-check.int.test.ts`).
 *
 * 401/403 and 404 are permanent: retrying does not help until someone fixes the token or creates
 * the bucket. Anything else (no answer, 5xx) is an outage and is retried.
 */
import type { Logger } from '@busbar/core';

/** What the check found. */
export interface InfluxStatus {
  /** True when InfluxDB accepts writes with this token to this bucket. */
  readonly ok: boolean;
  /** True for a refusal that retrying does not cure (bad token, unknown org or bucket). */
  readonly permanent: boolean;
  /** `BB_HISTORIAN_INFLUX_UNAUTHORIZED`, `BB_HISTORIAN_INFLUX_NOT_FOUND` or `BB_HISTORIAN_INFLUX_UNREACHABLE` when not ok. */
  readonly code?: string;
  /** One line for `/readyz` and the log: what InfluxDB said. */
  readonly reason?: string;
}

/** Where the historian writes. */
export interface InfluxTarget {
  readonly url: string;
  readonly org: string;
  readonly bucket: string;
  readonly token: string;
  /** Request timeout, ms. */
  readonly timeoutMs: number;
}

/** The status of a failed write or check from its HTTP status (`undefined`: no answer). */
export function influxStatusOf(target: InfluxTarget, httpStatus: number | undefined, message: string): InfluxStatus {
  const where = `${target.url} org ${target.org} bucket ${target.bucket}`;
  if (httpStatus === 401 || httpStatus === 403) {
    return { ok: false, permanent: true, code: 'BB_HISTORIAN_INFLUX_UNAUTHORIZED', reason: `InfluxDB (${where}) refuses the token: ${httpStatus} ${message}` };
  }
  if (httpStatus === 404) return { ok: false, permanent: true, code: 'BB_HISTORIAN_INFLUX_NOT_FOUND', reason: `InfluxDB (${where}): ${message}` };
  return { ok: false, permanent: false, code: 'BB_HISTORIAN_INFLUX_UNREACHABLE', reason: `InfluxDB (${where}) ${httpStatus === undefined ? 'does not answer' : `answers ${httpStatus}`}: ${message}` };
}

/**
 * Asks InfluxDB whether it accepts writes (see the module documentation). Never throws.
 */
export async function checkInflux(target: InfluxTarget): Promise<InfluxStatus> {
  const url = `${target.url.replace(/\/+$/, '')}/api/v2/write?org=${encodeURIComponent(target.org)}&bucket=${encodeURIComponent(target.bucket)}&precision=ms`;
  try {
    const res = await fetch(url, { method: 'POST', headers: { authorization: `Token ${target.token}`, 'content-type': 'text/plain; charset=utf-8' }, body: '', signal: AbortSignal.timeout(target.timeoutMs) });
    const text = await res.text();
    if (res.ok) return { ok: true, permanent: false };
    let message = text;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch {
      // not JSON: the text as it is
    }
    return influxStatusOf(target, res.status, message.trim().slice(0, 300));
  } catch (err) {
    return influxStatusOf(target, undefined, err instanceof Error ? (err.cause instanceof Error ? `${err.message} (${err.cause.message})` : err.message) : String(err));
  }
}

/** Logs a status change once: an error line with the code for a permanent refusal, a warning for an outage, info when it works again. */
export function logInfluxStatus(logger: Logger, before: InfluxStatus | undefined, now: InfluxStatus): void {
  if (before !== undefined && before.ok === now.ok && before.code === now.code) return;
  if (now.ok) {
    if (before !== undefined) logger.info({}, 'InfluxDB accepts writes again; historian ready');
  } else if (now.permanent) {
    logger.error({ code: now.code, reason: now.reason }, `historian not ready: ${now.reason} — fix the token, org or bucket (nothing is lost: readings wait in Kafka)`);
  } else {
    logger.warn({ code: now.code, reason: now.reason }, `historian not ready: ${now.reason}`);
  }
}
