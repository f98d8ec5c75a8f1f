/**
 * The Maccor collector's composition: per tester one MacNet client, one {@link DeviceSupervisor}
 * (poll plan → one Reading per channel, connection changes and channel transitions → DeviceEvents),
 * and one {@link MaccorRunner} that executes the tester's `maccor.*` commands routed by the commander
 * (testers are exclusive-session devices, see `packages/actions/src/maccor/device-config.ts`); the
 * Kafka side (producer, publishers, connection events, routed-commands consumer) is the shared
 * {@link CollectorKit}.
 *
 * Commands do not wait for a whole poll (`DeviceSupervisor.exclusive`): the client has one request
 * queue per tester in which commands go ahead of queued poll requests, so a command waits for at most
 * the one request in flight (~30 ms on a real tester, Maccor MacNet reference §2, §12).
 * Direct-output set-points are handled concurrently (the consumer does not wait for their pacing, so
 * newer ones can supersede older ones); every other command is awaited in order.
 */
import type { Clock, Logger, Metrics } from '@busbar/core';
import { BusbarError, systemClock } from '@busbar/core';
import { createMaccorBinding } from '@busbar/actions';
import { CommandExecutor } from '@busbar/commands';
import { CollectorKit, storeAndForwardOptions } from '@busbar/collector-kit';
import { MaccorClient } from '@busbar/driver-maccor-macnet';
import type { ChannelStateSample } from '@busbar/driver-maccor-macnet';
import type { RunningService } from '@busbar/runtime';
import { DeviceSupervisor } from '@busbar/supervisor';
import type { CollectorConfig } from './config.js';
import { MaccorRunner } from './direct-control.js';
import type { RunnerSinks } from './direct-control.js';
import { TesterPoller } from './poller.js';
import { PROTOCOL, toReading, transitionEvent } from './readings.js';
import type { TesterPoll } from './readings.js';
import type { MaccorDeviceConfig } from './types.js';

/** Builds the MacNet client of one configured tester. */
export function clientFor(device: MaccorDeviceConfig, logger: Logger, metrics: Metrics): MaccorClient {
  return new MaccorClient({ host: device.host, jsonPort: device.jsonPort, binaryPort: device.binaryPort, udpPort: device.udpPort, restVia: device.restVia, requestTimeoutMs: device.requestTimeoutMs, connectTimeoutMs: device.connectTimeoutMs, logger, metrics });
}

/**
 * Signs on: (1,2) general info, and checks that the configured channels exist.
 * @throws BusbarError `BB_MACCOR_CHANNELS_EXCEED_TESTER`; the driver's connection errors.
 */
export async function signOn(device: MaccorDeviceConfig, client: MaccorClient): Promise<void> {
  const info = await client.getGeneralInfo();
  if (device.channels > info.testChannels) {
    throw new BusbarError('BB_MACCOR_CHANNELS_EXCEED_TESTER', `device ${device.id}: channels is ${device.channels} but tester ${info.systemId} has ${info.testChannels} test channels`, { context: { channels: device.channels, testChannels: info.testChannels } });
  }
}

/** Routed-command action whose handling is not awaited by the consumer (pacing, coalescing). */
const CONCURRENT_ACTION = 'maccor.set_direct_output';

/**
 * Starts the collector.
 *
 * @throws when Kafka cannot be reached at start (the tester loops themselves never throw).
 */
export async function startMaccorCollector(config: CollectorConfig, deps: { logger: Logger; metrics: Metrics; clock?: Clock }): Promise<RunningService> {
  const { logger, metrics } = deps;
  const clock = deps.clock ?? systemClock;
  const kit = await CollectorKit.start({ service: 'collector-maccor', protocol: PROTOCOL, kafka: config.kafka, topics: config.topics, instanceId: config.instanceId, buffer: storeAndForwardOptions('collector-maccor', config.instanceId, config.buffer), logger, metrics });

  // What a runner reports on its own (watchdog, shutdown): nobody would retry it, so a failed publish is logged (and counted by the kit).
  const sinks: RunnerSinks = {
    publishEvent: (e) => kit.publishEvent(e),
    publishResult: async (r) => {
      try {
        await kit.publishResult(r);
      } catch (err) {
        logger.error({ err, deviceId: r.device_id, commandId: r.command_id }, 'could not publish command result');
      }
    },
  };

  const testers = new Map<string, { device: MaccorDeviceConfig; client: MaccorClient; runner: MaccorRunner; supervisor: DeviceSupervisor<TesterPoll> }>();
  let sequence = 0;
  for (const device of config.devices) {
    const log = logger.child({ deviceId: device.id });
    const client = clientFor(device, log, metrics);
    const poller = new TesterPoller(device, client, metrics, clock);
    const runner = new MaccorRunner(device, client, sinks, { logger: log, metrics, clock });
    const previous = new Map<number, ChannelStateSample>();
    log.info({ plan: poller.plan }, 'maccor poll plan');
    if (poller.plan.overBudget) log.warn({ plan: poller.plan }, 'the minimal poll plan does not fit the poll budget: raise pollIntervalMs or pollBudgetFraction');
    const supervisor = new DeviceSupervisor<TesterPoll>(
      {
        connect: () => signOn(device, client),
        poll: () => poller.poll(),
        close: async () => undefined, // the client reconnects by itself on the next request
      },
      {
        onPoll: async (poll, atMs) => {
          const at = new Date(atMs);
          await kit.publishReadings(poll.statuses.map((s) => toReading(device.id, s, poll, atMs, ++sequence)));
          for (const s of poll.statuses) {
            const d = poll.details.get(s.channel)?.reading;
            const sample: ChannelStateSample = { stat: s.stat, rf1: s.rf1, rf2: s.rf2, ...(d ? { step: d.step, cycle: d.cycle } : {}) };
            const e = transitionEvent(device.id, s.channel, previous.get(s.channel), sample, at);
            previous.set(s.channel, sample);
            if (e) await kit.publishEvent(e);
          }
        },
        ...kit.connectionEvents(device.id),
      },
      { deviceId: device.id, pollIntervalMs: device.pollIntervalMs, logger: log, metrics, clock },
    );
    testers.set(device.id, { device, client, runner, supervisor });
  }

  // Every Maccor command is routed here by the commander; the same binding validates again and executes.
  const binding = createMaccorBinding({ devices: config.devices }, config.topics.deviceCommands, { logger, metrics, runnerFor: (id) => testers.get(id)?.runner });
  const executor = new CommandExecutor({ logger, metrics, clock, maxLifetimeMs: config.maxCommandLifetimeMs, resolve: (cmd) => binding.resolve(cmd) });
  await kit.consumeRoutedCommands({
    executor,
    owns: (id) => binding.has(id),
    concurrent: (cmd) => cmd.action === CONCURRENT_ACTION,
    decorate: (cmd, result) => {
      const by = testers.get(cmd.target.device_id)?.runner.supersededByOf(cmd.command_id);
      return by ? { ...result, details: { ...result.details, superseded_by: by } } : result;
    },
  });

  for (const t of testers.values()) t.supervisor.start();
  logger.info({ devices: config.devices.map((d) => d.id) }, 'maccor collector running');

  return {
    health: () => {
      const devices = Object.fromEntries([...testers].map(([id, t]) => [id, t.supervisor.isConnected ? 'up' : `down: ${t.supervisor.lastErrorMessage ?? 'connecting'}`]));
      const direct = Object.fromEntries([...testers].map(([id, t]) => [id, t.runner.directChannels()]));
      const forwarding = kit.forwardingProblem();
      return { ok: true, ...(forwarding === undefined ? {} : { degraded: [forwarding] }), details: { devices, direct_control: direct, forwarding: forwarding ?? 'ok' } };
    },
    stop: async () => {
      await kit.stopCommands();
      await Promise.all([...testers.values()].map((t) => t.runner.stop()));
      await Promise.all([...testers.values()].map((t) => t.supervisor.stop()));
      for (const t of testers.values()) t.client.close();
      await kit.close();
    },
  };
}
