/**
 * `--test` mode (like `telegraf --test`): poll every configured device once and print the decoded
 * readings as JSON lines on stdout, without Kafka. A device that fails prints one line with its
 * error code instead; the exit code is 1 when any device failed.
 */
import type { Logger, Metrics } from '@busbar/core';
import { errorCode } from '@busbar/core';
import type { ResolvedModbusDevice } from '@busbar/actions';
import { clientFor, toReading } from './collector.js';

/**
 * Polls each device once.
 *
 * @param write - where lines go (default stdout).
 * @returns the number of devices that failed.
 */
export async function runTestMode(devices: readonly ResolvedModbusDevice[], deps: { logger: Logger; metrics: Metrics }, write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  let failed = 0;
  for (const device of devices) {
    const client = clientFor(device, deps.logger, deps.metrics);
    try {
      await client.connect();
      const at = Date.now();
      const { values } = await client.readAll();
      const r = toReading(device.id, values, at, 1);
      write(JSON.stringify({ ...r, timestamp: r.timestamp.toISOString() }));
    } catch (err) {
      failed++;
      write(JSON.stringify({ device_id: device.id, error: errorCode(err), message: err instanceof Error ? err.message : String(err) }));
    } finally {
      await client.close().catch(() => undefined);
    }
  }
  return failed;
}
