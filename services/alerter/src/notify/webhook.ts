/**
 * Pager hooks: POST the Alert as JSON to each configured URL.
 */
import type { Alert } from '@busbar/avro';
import { BusbarError } from '@busbar/core';

/**
 * POSTs `alert` to `url` as JSON.
 *
 * @throws {BusbarError} `BB_ALERTER_WEBHOOK_FAILED` on a non-2xx answer or a network error/timeout; `retriable` false for a 4xx other than 408 and 429 (the request itself is refused: not retried).
 */
export async function postWebhook(url: string, alert: Alert, timeoutMs: number): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...alert, timestamp: alert.timestamp.toISOString() }), signal: AbortSignal.timeout(timeoutMs) });
  } catch (cause) {
    throw new BusbarError('BB_ALERTER_WEBHOOK_FAILED', `webhook ${url}: ${(cause as Error).message}`, { cause, retriable: true });
  }
  if (!res.ok) throw new BusbarError('BB_ALERTER_WEBHOOK_FAILED', `webhook ${url} answered HTTP ${res.status}`, { retriable: res.status >= 500 || res.status === 408 || res.status === 429 });
}
