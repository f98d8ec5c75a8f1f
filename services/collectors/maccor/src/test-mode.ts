/**
 * `--test` mode (like `telegraf --test`): poll every configured tester once — bulk reads and every
 * channel's (4,7) (and (4,4) where configured) — and print one Reading per channel as a JSON line on
 * stdout, without Kafka. A tester that fails prints one line with its error code instead; the exit
 * code is 1 when any tester failed.
 */
import type { Logger, Metrics } from '@busbar/core';
import { errorCode } from '@busbar/core';
import { clientFor, signOn } from './collector.js';
import { TesterPoller } from './poller.js';
import { toReading } from './readings.js';
import type { MaccorDeviceConfig } from './types.js';

/**
 * Polls each tester once.
 *
 * @param write - where lines go (default stdout).
 * @returns the number of testers that failed.
 */
export async function runTestMode(devices: readonly MaccorDeviceConfig[], deps: { logger: Logger; metrics: Metrics }, write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  let failed = 0;
  for (const device of devices) {
    const client = clientFor(device, deps.logger, deps.metrics);
    try {
      await signOn(device, client);
      const at = Date.now();
      const poll = await new TesterPoller(device, client, deps.metrics).poll(true);
      let seq = 0;
      for (const s of poll.statuses) {
        const r = toReading(device.id, s, poll, at, ++seq);
        write(JSON.stringify({ ...r, timestamp: r.timestamp.toISOString() }));
      }
    } catch (err) {
      failed++;
      write(JSON.stringify({ device_id: device.id, error: errorCode(err), message: err instanceof Error ? err.message : String(err) }));
    } finally {
      client.close();
    }
  }
  return failed;
}
