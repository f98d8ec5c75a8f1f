/**
 * `--test` mode (like `telegraf --test`): for every configured device, read the polled parameters
 * once and the newest records of each configured log (the last four intervals, or the last day for
 * logs without `intervalS`), and print them as Reading JSON lines on stdout — without Kafka and
 * without touching the backfill cursors. A device that fails prints one line with its error code
 * instead; the exit code is 1 when any device failed.
 */
import type { Logger, Metrics } from '@busbar/core';
import { errorCode } from '@busbar/core';
import type { ReadingInput } from '@busbar/avro';
import type { ResolvedCorusDevice } from './config.js';
import { logRecordReading, parameterReading } from './records.js';
import { deviceNowMs, sessionFor } from './session.js';

/** Newest records printed per log. */
export const TEST_MODE_RECORDS = 4;

function line(r: ReadingInput): string {
  return JSON.stringify({ ...r, timestamp: r.timestamp.toISOString() });
}

/**
 * Reads each device once.
 *
 * @param write - where lines go (default stdout).
 * @returns the number of devices that failed.
 */
export async function runTestMode(devices: readonly ResolvedCorusDevice[], deps: { logger: Logger; metrics: Metrics }, write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  let failed = 0;
  let sequence = 0;
  for (const device of devices) {
    const session = sessionFor(device, deps.logger, deps.metrics);
    try {
      const at = Date.now();
      const values = await session.readParameters(device.pollNames);
      write(line(parameterReading(device.id, values, at, ++sequence)));
      const now = await deviceNowMs(session);
      for (const name of device.logNames) {
        const intervalS = device.corusMap.config.logs[name]?.intervalS;
        const since = new Date(now - (intervalS !== undefined ? intervalS * TEST_MODE_RECORDS : 86_400) * 1000);
        const records = [];
        for await (const r of session.readLog(name, { since, until: new Date(now) })) records.push(r);
        for (const r of records.slice(-TEST_MODE_RECORDS)) write(line(logRecordReading(device.id, r, ++sequence)));
      }
    } catch (err) {
      failed++;
      write(JSON.stringify({ device_id: device.id, error: errorCode(err), message: err instanceof Error ? err.message : String(err) }));
    } finally {
      await session.close().catch(() => undefined);
    }
  }
  return failed;
}
