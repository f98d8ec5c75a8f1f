/**
 * `--test` mode (like `telegraf --test`): log in to every configured cycler, poll its channels once
 * and print the Readings (one JSON line per channel) and the channel DeviceEvents a first poll
 * yields (faults), without Kafka. A cycler that fails prints one line with its error code instead;
 * the exit code is 1 when any cycler failed.
 */
import type { Logger, Metrics } from '@busbar/core';
import { errorCode } from '@busbar/core';
import type { ArbinCredentials, ChannelReading } from '@busbar/driver-arbin-cti';
import { pollRecords } from './collector.js';
import type { ArbinDevice } from './config.js';
import { CyclerSession } from './session.js';

const iso = <T extends { timestamp: Date }>(r: T): T & { timestamp: string } => ({ ...r, timestamp: r.timestamp.toISOString() }) as T & { timestamp: string };

/**
 * Polls each cycler once.
 *
 * @param write - where lines go (default stdout).
 * @returns the number of cyclers that failed.
 */
export async function runTestMode(
  devices: readonly ArbinDevice[],
  deps: { logger: Logger; metrics: Metrics; credentials: ArbinCredentials | { readonly username: string; readonly password: string } },
  write: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): Promise<number> {
  let failed = 0;
  for (const device of devices) {
    const session = new CyclerSession(device, deps.credentials, deps.logger, deps.metrics);
    try {
      await session.connect();
      const at = Date.now();
      const readings = await session.poll();
      let seq = 0;
      const records = pollRecords(device.id, readings, new Map<number, ChannelReading>(), at, () => ++seq);
      for (const r of records.readings) write(JSON.stringify(iso(r)));
      for (const e of records.events) write(JSON.stringify({ event: iso(e) }));
    } catch (err) {
      failed++;
      write(JSON.stringify({ device_id: device.id, error: errorCode(err), message: err instanceof Error ? err.message : String(err) }));
    } finally {
      await session.close();
    }
  }
  return failed;
}
