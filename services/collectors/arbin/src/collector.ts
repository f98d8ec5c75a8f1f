/**
 * The Arbin collector's composition: one {@link DeviceSupervisor} per cycler (poll → one Reading per
 * channel, connection changes and channel state transitions → DeviceEvents), the shared Kafka side
 * ({@link CollectorKit}: producer, publishers, connection events), and the consumer of the Arbin
 * commands the commander routed here: every cycler's CTI session is exclusive, owned by this process
 * (packages/actions/src/arbin, docs/architecture.md "Single-session devices").
 */
import type { Logger, Metrics } from '@busbar/core';
import { createArbinBinding } from '@busbar/actions';
import { CommandExecutor } from '@busbar/commands';
import type { DeviceEventInput, ReadingInput } from '@busbar/avro';
import { CollectorKit } from '@busbar/collector-kit';
import type { ArbinCredentials, ChannelReading } from '@busbar/driver-arbin-cti';
import { channelStateTransition, loadArbinCredentials } from '@busbar/driver-arbin-cti';
import type { RunningService } from '@busbar/runtime';
import { DeviceSupervisor } from '@busbar/supervisor';
import type { ArbinDevice, CollectorConfig } from './config.js';
import { PROTOCOL, toArbinReading, transitionEvent } from './records.js';
import { CyclerSession } from './session.js';

/**
 * The set-MV action: handled without waiting for the previous one, so the client can space and
 * coalesce them (Arbin CTI reference README §5.4); any other command of that cycler waits for them.
 */
const SET_MV = 'arbin.set_meta_variable';

/** Dependencies of {@link startArbinCollector}. */
export interface ArbinCollectorDeps {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** CTI user; default `loadArbinCredentials(process.env)` (`ARBIN_CTI_USERNAME`/`ARBIN_CTI_PASSWORD` or `*_FILE`). */
  readonly credentials?: ArbinCredentials | { readonly username: string; readonly password: string };
}

/**
 * Turns one poll of a cycler into Readings and the DeviceEvents of the channels whose state changed
 * since the previous poll (`previous` is updated in place; it survives reconnects, so a change
 * during an outage is reported after it).
 */
export function pollRecords(device: string, readings: readonly ChannelReading[], previous: Map<number, ChannelReading>, atMs: number, nextSequence: () => number): { readonly readings: ReadingInput[]; readonly events: DeviceEventInput[] } {
  const out: ReadingInput[] = [];
  const events: DeviceEventInput[] = [];
  for (const r of readings) {
    out.push(toArbinReading(device, r, atMs, nextSequence()));
    const t = channelStateTransition(previous.get(r.channel), r);
    if (t !== null) events.push(transitionEvent(device, t, r, atMs));
    previous.set(r.channel, r);
  }
  return { readings: out, events };
}

/**
 * Starts the collector.
 *
 * @throws {ArbinCtiError} `BB_ARBIN_CREDENTIALS_MISSING` when no credentials are configured; when
 *   Kafka cannot be reached at start (the device loops themselves never throw).
 */
export async function startArbinCollector(config: CollectorConfig, deps: ArbinCollectorDeps): Promise<RunningService> {
  const { logger, metrics } = deps;
  const credentials = deps.credentials ?? loadArbinCredentials(process.env);
  const kit = await CollectorKit.start({ service: 'collector-arbin', protocol: PROTOCOL, kafka: config.kafka, topics: config.topics, instanceId: config.instanceId, logger, metrics });
  const m = {
    channelReadings: metrics.counter({ name: 'busbar_collector_channel_readings_total', help: 'Channel readings published, per cycler.', labelNames: ['device'] }),
    transitions: metrics.counter({ name: 'busbar_collector_channel_transitions_total', help: 'Channel state transitions reported, per cycler and kind.', labelNames: ['device', 'kind'] }),
  };

  interface Owned { readonly device: ArbinDevice; readonly session: CyclerSession; readonly supervisor: DeviceSupervisor<ChannelReading[]> }
  const owned = new Map<string, Owned>();
  let sequence = 0;
  for (const device of config.devices) {
    const log = logger.child({ deviceId: device.id });
    const session = new CyclerSession(device, credentials, log, metrics);
    const previous = new Map<number, ChannelReading>();
    const supervisor = new DeviceSupervisor<ChannelReading[]>(
      session,
      {
        onPoll: async (readings, atMs) => {
          const records = pollRecords(device.id, readings, previous, atMs, () => ++sequence);
          if (await kit.publishReadings(records.readings)) m.channelReadings.inc({ device: device.id }, records.readings.length);
          for (const e of records.events) m.transitions.inc({ device: device.id, kind: e.details?.transition ?? 'unknown' });
          await kit.publishEvents(records.events);
        },
        ...kit.connectionEvents(device.id, {
          connected: ({ outageMs }) => {
            const s = session.session;
            return {
              reason: outageMs > 0 ? `reconnected and logged in again after an outage of ${(outageMs / 1000).toFixed(1)} s` : 'connected and logged in',
              details: { serial: s?.cycler_sn ?? '', num_channels: String(s?.num_channels ?? ''), allow_control: String(s?.allow_control ?? ''), channels_polled: String(session.channels.length) },
            };
          },
        }),
      },
      { deviceId: device.id, pollIntervalMs: device.pollIntervalMs, logger: log, metrics },
    );
    session.exclusive = (fn) => supervisor.exclusive(fn);
    owned.set(device.id, { device, session, supervisor });
  }

  // Every Arbin command for these cyclers, routed here by the commander, runs on the owned session:
  // in order per cycler, set-MVs handed to the client without waiting (it spaces and coalesces
  // them), any other command first waits for the set-MVs before it.
  const binding = createArbinBinding({ devices: config.devices }, config.topics.deviceCommands, { logger, metrics, owner: { port: (id) => owned.get(id)?.session.port } });
  const executor = new CommandExecutor({ logger, metrics, maxLifetimeMs: config.maxCommandLifetimeMs, resolve: (cmd) => binding.resolve(cmd) });
  await kit.consumeRoutedCommands({
    executor,
    owns: (id) => binding.has(id),
    concurrent: (cmd) => cmd.action === SET_MV,
    orderAfterConcurrent: true,
    decorate: (_cmd, result) => binding.finalize(result), // vendor details; REJECTED when the cycler refused or coalesced it
  });

  for (const o of owned.values()) o.supervisor.start();
  logger.info({ devices: config.devices.map((d) => d.id) }, 'arbin collector running');

  return {
    health: () => {
      const devices = Object.fromEntries([...owned].map(([id, o]) => [id, o.supervisor.isConnected ? 'up' : `down: ${o.supervisor.lastErrorMessage ?? 'connecting'}`]));
      return { ok: true, details: { devices } };
    },
    stop: async () => {
      await kit.stopCommands();
      await Promise.all([...owned.values()].map((o) => o.supervisor.stop()));
      await kit.close();
    },
  };
}
