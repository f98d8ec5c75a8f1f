/**
 * The `CorusSession` of one configured device, and its clock.
 */
import type { Logger, Metrics } from '@busbar/core';
import { CorusSession, serialTransport, tcpTransport } from '@busbar/driver-itron-corus';
import type { ResolvedCorusDevice } from './config.js';

/**
 * Builds the single session of a device (itron-corus reference README §3.5: one session at a
 * time). The session opens its link on demand and re-opens it after a link fault.
 */
export function sessionFor(device: ResolvedCorusDevice, logger: Logger, metrics: Metrics): CorusSession {
  const c = device.connection;
  const transport = c.kind === 'tcp' ? tcpTransport({ host: c.host, port: c.port, connectTimeoutMs: c.connectTimeoutMs }) : serialTransport({ path: c.path, signOnBaudRate: c.signOnBaudRate, sessionBaudRate: c.sessionBaudRate });
  return new CorusSession({
    transport,
    map: device.corusMap,
    timeZone: device.timeZone,
    password: device.password,
    logChunkS: device.logChunkS,
    deviceId: device.id,
    timeouts: device.responseTimeoutMs === undefined ? undefined : { responseMs: device.responseTimeoutMs },
    logger,
    metrics,
  });
}

/**
 * The device's "now", ms since the epoch: its `clock` role parameter (reference §7.3, read at
 * read priority, in the configured zone), or the collector's clock when the map has none.
 * Backfills end there, so a device clock that is off does not make the collector ask for the future.
 * @throws the session's read errors.
 */
export async function deviceNowMs(session: CorusSession): Promise<number> {
  const clock = session.map.role('clock');
  if (clock === undefined) return Date.now();
  const v = (await session.readParameters([clock.name]))[clock.name];
  return v instanceof Date ? v.getTime() : Date.now();
}
