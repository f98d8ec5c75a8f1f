/**
 * The generic collector runtime: everything a collector does that is not its protocol. Given a
 * {@link ProtocolModule} and its devices it runs, per device, the one supervision loop of Busbar
 * (`@busbar/supervisor`: connect, poll on schedule, reconnect with backoff and jitter, outage
 * events), turns each poll into records with the module and publishes them, and executes the
 * commands the commander routed to the devices it owns (exclusive sessions) between two polls.
 *
 * A collector service is then a thin entry point: its configuration schema
 * ({@link collectorConfigSchema}) and `startCollector(module, config, deps)`.
 */
import type { Logger, Metrics } from '@busbar/core';
import { BusbarError, errorCode, systemClock } from '@busbar/core';
import { CommandExecutor } from '@busbar/commands';
import type { AnyProtocolModule, DeviceConfigBase, DeviceEntry, Session } from '@busbar/protocol';
import { commandResolver, deviceTable } from '@busbar/protocol';
import { DeviceSupervisor } from '@busbar/supervisor';
import type { KafkaConfig, TopicsConfig } from '@busbar/kafka';
import { storeAndForwardOptions } from './config.js';
import { collectorReadiness } from './health.js';
import type { Readiness } from './health.js';
import { CollectorKit } from './kit.js';

/** What {@link startCollector} needs from the service's configuration. */
export interface CollectorRuntimeConfig {
  readonly kafka: KafkaConfig;
  readonly topics: TopicsConfig;
  /** This process's identity (names its routed-commands consumer group). */
  readonly instanceId: string;
  /** Longest accepted command lifetime, ms. */
  readonly maxCommandLifetimeMs: number;
  /** The module's resolved devices. */
  readonly devices: readonly DeviceConfigBase[];
  /** The `buffer:` section (store-and-forward). */
  readonly buffer: Parameters<typeof storeAndForwardOptions>[2];
}

/** A running collector: `/healthz` details, `/readyz` checks and a graceful stop. */
export interface RunningCollector {
  health(): { ok: boolean; degraded?: readonly string[]; details: Record<string, unknown> };
  /** `/readyz`: one check per device session and one for forwarding ({@link collectorReadiness}). */
  ready(): Readiness;
  stop(): Promise<void>;
}

/** One device under supervision. */
interface Supervised {
  readonly entry: DeviceEntry;
  readonly supervisor: DeviceSupervisor<unknown>;
  current(): Session | undefined;
}

/**
 * Starts a collector for `module`'s devices.
 *
 * @param service - service name (`collector-modbus`): Kafka client id and consumer group names.
 * @throws when Kafka cannot be reached at start (the device loops themselves never throw).
 */
export async function startCollector(module: AnyProtocolModule, service: string, config: CollectorRuntimeConfig, deps: { readonly logger: Logger; readonly metrics: Metrics }): Promise<RunningCollector> {
  const { logger, metrics } = deps;
  const kit = await CollectorKit.start({ service, protocol: module.protocol, kafka: config.kafka, topics: config.topics, instanceId: config.instanceId, buffer: storeAndForwardOptions(service, config.instanceId, config.buffer), logger, metrics });
  const table = deviceTable([{ module, devices: config.devices }]);
  const supervised = new Map<string, Supervised>();
  /** Sessions that reported their loss: no command goes to one, even before the supervisor closed it. */
  const lostSessions = new WeakSet<Session>();
  const m = {
    readings: metrics.counter({ name: 'busbar_collector_readings_total', help: 'Readings taken by the store-and-forward buffer (forwarded to Kafka from there), per device.', labelNames: ['device'] }),
    events: metrics.counter({ name: 'busbar_collector_events_total', help: 'Device events from polls (state transitions, faults), per device and kind.', labelNames: ['device', 'kind'] }),
  };
  let sequence = 0;
  const nextSequence = (): number => ++sequence;

  for (const entry of table.values()) {
    const device = entry.device;
    const log = logger.child({ deviceId: device.id });
    const state: unknown = module.initialState?.(device);
    let session: Session | undefined;
    const connected = module.connected;
    const supervisor: DeviceSupervisor<unknown> = new DeviceSupervisor<unknown>(
      {
        connect: async () => {
          const opened = (await module.open(device, { logger: log, metrics })) as Session;
          session = opened;
          void opened.lost.then((error) => {
            lostSessions.add(opened);
            if (session === opened) supervisor.reportLost(error);
          });
        },
        poll: () => {
          if (session === undefined) return Promise.reject(new BusbarError('BB_COMMAND_DEVICE_UNAVAILABLE', `device ${device.id} is not connected`, { retriable: true }));
          return module.poll(session, device) as Promise<unknown>;
        },
        close: async () => {
          const s = session;
          session = undefined;
          await s?.close();
        },
      },
      {
        onPoll: async (raw, atMs) => {
          const records = module.toRecords(device, raw, { atMs, nextSequence, state });
          if (records.readings.length > 0 && (await kit.publishReadings(records.readings))) m.readings.inc({ device: device.id }, records.readings.length);
          const events = records.events ?? [];
          for (const e of events) m.events.inc({ device: device.id, kind: e.kind });
          await kit.publishEvents(events);
        },
        ...kit.connectionEvents(device.id, connected ? { connected: (info) => (session ? connected(session, device, info) : {}) } : {}),
      },
      { deviceId: device.id, pollIntervalMs: device.pollIntervalMs, logger: log, metrics },
    );
    supervised.set(device.id, { entry, supervisor, current: () => session });
  }

  // Commands routed here for the exclusive-session devices this process owns, run between two polls
  // on the supervised session (validated again: defence in depth, a collector never trusts the topic).
  const owned = [...supervised.values()].filter((s) => module.sessionMode(s.entry.device) === 'exclusive');
  if (owned.length > 0) {
    const resolve = commandResolver(table, {
      owner: `collector ${service}`,
      clock: systemClock,
      logger,
      place: () => ({
        run: (entry, fn, concurrent) => {
          const s = supervised.get(entry.device.id)!;
          const onSession = (): Promise<never> | ReturnType<typeof fn> => {
            const current = s.current();
            if (current === undefined || !s.supervisor.isConnected || lostSessions.has(current)) {
              return Promise.reject(new BusbarError('BB_COMMAND_DEVICE_UNAVAILABLE', `device ${entry.device.id} is not connected (${s.supervisor.lastErrorMessage ?? 'connecting'}); the command was not sent`, { retriable: true, outcome: 'not_sent' }));
            }
            return fn(current);
          };
          // a set-point goes straight to the driver, which paces it; anything else waits for the poll in progress
          return concurrent ? onSession() : s.supervisor.exclusive(onSession);
        },
      }),
    });
    const executor = new CommandExecutor({ maxLifetimeMs: config.maxCommandLifetimeMs, logger, metrics, resolve });
    const ownedIds = new Set(owned.map((s) => s.entry.device.id));
    await kit.consumeRoutedCommands({
      executor,
      owns: (id) => ownedIds.has(id),
      concurrent: (cmd) => module.actions[cmd.action]?.concurrent === true,
      orderAfterConcurrent: module.orderAfterConcurrent ?? false,
    });
  }

  for (const s of supervised.values()) s.supervisor.start();
  logger.info({ protocol: module.protocol, devices: [...supervised.keys()], owned: owned.map((s) => s.entry.device.id) }, 'collector running');

  return {
    health: () => {
      const devices = Object.fromEntries([...supervised].map(([id, s]) => [id, s.supervisor.isConnected ? 'up' : `down: ${s.supervisor.lastErrorMessage ?? 'connecting'}`]));
      const forwarding = kit.forwardingProblem();
      return { ok: true, ...(forwarding === undefined ? {} : { degraded: [forwarding] }), details: { devices, forwarding: forwarding ?? 'ok' } };
    },
    ready: () => collectorReadiness(new Map([...supervised].map(([id, s]) => [id, { connected: s.supervisor.isConnected, lastError: s.supervisor.lastErrorMessage }])), kit.forwardingProblem()),
    stop: async () => {
      await kit.stopCommands();
      await Promise.all([...supervised.values()].map((s) => s.supervisor.stop()));
      await kit.close();
    },
  };
}

/**
 * `--test` mode (like `telegraf --test`): opens each device once, polls it once and writes the
 * records as JSON lines — each Reading as it is, each DeviceEvent as `{"event": …}` — without Kafka.
 * A device that fails writes one line with its error code.
 *
 * @param write - where lines go (default stdout).
 * @returns the number of devices that failed.
 */
export async function runTestMode(module: AnyProtocolModule, devices: readonly DeviceConfigBase[], deps: { readonly logger: Logger; readonly metrics: Metrics }, write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  let failed = 0;
  let sequence = 0;
  for (const device of devices) {
    let session: Session | undefined;
    try {
      session = (await module.open(device, { logger: deps.logger.child({ deviceId: device.id }), metrics: deps.metrics })) as Session;
      const atMs = Date.now();
      const raw: unknown = await module.poll(session, device);
      const records = module.toRecords(device, raw, { atMs, nextSequence: () => ++sequence, state: module.initialState?.(device) });
      for (const r of records.readings) write(JSON.stringify({ ...r, timestamp: r.timestamp.toISOString() }));
      for (const e of records.events ?? []) write(JSON.stringify({ event: { ...e, timestamp: e.timestamp.toISOString() } }));
    } catch (err) {
      failed++;
      write(JSON.stringify({ device_id: device.id, error: errorCode(err), message: err instanceof Error ? err.message : String(err) }));
    } finally {
      await session?.close().catch(() => undefined);
    }
  }
  return failed;
}
