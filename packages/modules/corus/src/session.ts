/**
 * One Corus device's session for the protocol module: a driver `CorusSession` whose link is opened
 * once (connect, wake-up, sign-on, password, map check: itron-corus reference README §3, §7.1) and
 * whose loss is reported through {@link Session.lost} — the collector runtime reconnects, never the
 * session (it never re-opens its link).
 */
import type { Logger, Metrics } from '@busbar/core';
import { CorusSession, serialTransport, tcpTransport } from '@busbar/driver-itron-corus';
import type { Session } from '@busbar/protocol';
import type { ResolvedCorusDevice } from './device-config.js';

/** An open, signed-on, map-checked session to one Corus. */
export interface CorusDeviceSession extends Session {
  /** The driver session (priority queue: write > read > log > keep-alive). */
  readonly corus: CorusSession;
}

/**
 * Builds the driver session of a device (one session at a time, reference §3.5) without opening it.
 */
function sessionFor(device: ResolvedCorusDevice, logger: Logger, metrics: Metrics): CorusSession {
  const c = device.connection;
  const transport = c.kind === 'tcp' ? tcpTransport({ host: c.host, port: c.port, connectTimeoutMs: c.connectTimeoutMs }) : serialTransport({ path: c.path, signOnBaudRate: c.signOnBaudRate, sessionBaudRate: c.sessionBaudRate, baudSwitchDelayMs: c.baudSwitchDelayMs });
  const link = device.link;
  const responseMs = device.responseTimeoutMs ?? link?.timeouts.responseMs;
  return new CorusSession({
    ...link,
    transport,
    map: device.corusMap,
    timeZone: device.timeZone,
    password: device.password ?? link?.password,
    logChunkS: device.logChunkS,
    deviceId: device.id,
    timeouts: link === undefined && responseMs === undefined ? undefined : { ...link?.timeouts, ...(responseMs === undefined ? {} : { responseMs }) },
    logger,
    metrics,
  });
}

/**
 * Opens a device's session once.
 *
 * @throws {CorusError} `BB_CORUS_CONNECT_FAILED`, `BB_CORUS_WAKEUP_FAILED`, `BB_CORUS_AUTH_FAILED`,
 *   `BB_CORUS_MAP_MISMATCH`, `BB_CORUS_TIMEOUT`... (the session is closed then).
 */
export async function openCorusSession(device: ResolvedCorusDevice, logger: Logger, metrics: Metrics): Promise<CorusDeviceSession> {
  const corus = sessionFor(device, logger, metrics);
  try {
    await corus.open();
  } catch (err) {
    await corus.close();
    throw err;
  }
  return { corus, lost: corus.lost, close: () => corus.close() };
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
