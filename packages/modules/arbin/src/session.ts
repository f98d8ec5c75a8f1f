/**
 * One cycler's CTI session: a fresh `ArbinCtiClient` connected and logged in once (login is per TCP
 * connection, Arbin CTI reference README §2), its loss reported through {@link Session.lost}, which is
 * the client's own `lost` (`BB_ARBIN_CONNECTION_LOST`; the client never reconnects) — the collector
 * runtime reconnects (and reports the outage) with a new session.
 *
 * Control commands (assign, start, stop, resume, jump) run in the runtime's exclusive slot, between
 * two polls; set-MV goes straight to the client's MV queue, which spaces sends to one channel ≥ 200 ms
 * apart and coalesces faster requests (README §5.4, §10). Every port method passes `beforeSend`
 * (the command's expiry check) to the client, which calls it right before writing.
 */
import type { Logger, Metrics } from '@busbar/core';
import type { ArbinCredentials, LoginFeedback } from '@busbar/driver-arbin-cti';
import { ArbinCtiClient, ArbinCtiError } from '@busbar/driver-arbin-cti';
import type { Session } from '@busbar/protocol';
import type { ArbinCyclerPort } from './actions.js';
import type { ArbinDeviceConfig } from './device-config.js';

/** An open, logged-in CTI connection to one cycler. */
export interface ArbinSession extends Session {
  /** The command port (the client). */
  readonly port: ArbinCyclerPort;
  /** The login reply (serial, channel count, control allowed). */
  readonly login: LoginFeedback;
  /** The 1-based channels polled (all the cycler has when the configuration says `all`). */
  readonly channels: readonly number[];
  /** The client, for polling. */
  readonly client: ArbinCtiClient;
}

/** CTI credentials (never logged). */
export type Credentials = ArbinCredentials | { readonly username: string; readonly password: string };

/**
 * Connects and logs in to one cycler.
 *
 * @throws {ArbinCtiError} `BB_ARBIN_LOGIN_FAILED`, `BB_ARBIN_TIMEOUT`, `BB_ARBIN_CONNECTION_LOST`;
 *   `BB_ARBIN_INVALID_ARGUMENT` when a configured channel is beyond the cycler's channel count.
 */
export async function openCyclerSession(device: ArbinDeviceConfig, credentials: Credentials, logger: Logger, metrics: Metrics): Promise<ArbinSession> {
  const client = new ArbinCtiClient({
    host: device.host, port: device.port, credentials, requestTimeoutMs: device.requestTimeoutMs, connectTimeoutMs: device.connectTimeoutMs,
    mvMinIntervalMs: device.mvMinIntervalMs, logger, metrics,
  });
  const close = (): Promise<void> => client.close().catch(() => undefined);
  let login: LoginFeedback;
  try {
    login = await client.connect();
  } catch (err) {
    await close();
    throw err;
  }
  const n = login.num_channels;
  let channels: readonly number[];
  if (device.channels === 'all') {
    channels = Array.from({ length: n }, (_, i) => i + 1);
  } else {
    const beyond = device.channels.filter((c) => c > n);
    if (beyond.length > 0) {
      await close();
      throw new ArbinCtiError('BB_ARBIN_INVALID_ARGUMENT', `cycler ${device.id} has ${n} channels; configured channels ${beyond.join(', ')} do not exist`, { context: { device: device.id, numChannels: n } });
    }
    channels = device.channels;
  }
  return { client, port: client, login, channels, lost: client.lost, close };
}
