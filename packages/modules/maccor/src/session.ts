/**
 * One tester's MacNet session: a fresh `MaccorClient` whose JSON connection is opened once and
 * signed on with (1,2) general info (the configured channels must exist), its loss reported through
 * {@link Session.lost} — the collector runtime reconnects (and reports the outage), never the client
 * (Maccor MacNet reference §2, §3, §6.2).
 */
import { BusbarError } from '@busbar/core';
import type { Logger, Metrics } from '@busbar/core';
import { MaccorClient } from '@busbar/driver-maccor-macnet';
import type { GeneralInfo } from '@busbar/driver-maccor-macnet';
import type { Session } from '@busbar/protocol';
import type { MaccorDeviceConfig } from './device-config.js';

/** An open, signed-on MacNet connection to one tester. */
export interface MaccorSession extends Session {
  /** The client: polls (`poll` priority) and commands (`command` priority) share its request queue. */
  readonly client: MaccorClient;
  /** The (1,2) answer of the sign-on. */
  readonly info: GeneralInfo;
}

/**
 * Connects to one tester and signs on.
 *
 * @throws {BusbarError} `BB_MACCOR_CHANNELS_EXCEED_TESTER` when `channels` is above the tester's
 *   TestChannels; the driver's `BB_MACCOR_CONNECT_FAILED`, `BB_MACCOR_TIMEOUT`... (the client is
 *   closed then).
 */
export async function openTesterSession(device: MaccorDeviceConfig, logger: Logger, metrics: Metrics): Promise<MaccorSession> {
  const client = new MaccorClient({
    host: device.host, jsonPort: device.jsonPort, binaryPort: device.binaryPort, udpPort: device.udpPort, restVia: device.restVia,
    requestTimeoutMs: device.requestTimeoutMs, connectTimeoutMs: device.connectTimeoutMs, logger, metrics,
  });
  try {
    await client.connect();
    const info = await client.getGeneralInfo();
    if (device.channels > info.testChannels) {
      throw new BusbarError('BB_MACCOR_CHANNELS_EXCEED_TESTER', `device ${device.id}: channels is ${device.channels} but tester ${info.systemId} has ${info.testChannels} test channels`, { context: { channels: device.channels, testChannels: info.testChannels } });
    }
    return { client, info, lost: client.lost, close: async () => client.close() };
  } catch (err) {
    client.close();
    throw err;
  }
}
