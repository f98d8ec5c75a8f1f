/**
 * The generic collector runtime: everything a collector does that is not its protocol. Given a
 * {@link ProtocolModule} and its devices it runs, per device, the one supervision loop of Busbar
 * (`@busbar/supervisor`: connect, poll on schedule, reconnect with backoff and jitter, outage
 * events), turns each poll into records with the module and publishes them, and executes the
 * commands the commander routed to the devices it owns (exclusive sessions) between two polls.
 *
 * A module's per-device background job ({@link DeviceJob}, e.g. the Corus log backfill) runs here
 * too, beside the polls on the same session: it publishes through the same store-and-forward
 * buffer and learns when Kafka acknowledged its records (to advance its cursor then); after a
 * failure it is run again with core `backoffDelayMs` + jitter once the supervisor has a session.
 *
 * A collector service is then a thin entry point: its configuration schema
 * ({@link collectorConfigSchema}) and `startCollector(module, config, deps)`.
 */
import type { ReadingInput } from '@busbar/avro';
import type { Logger, Metrics } from '@busbar/core';
import { BusbarError, backoffDelayMs, errorCode, sleep, systemClock } from '@busbar/core';
import { CommandExecutor, ExecutionJournal } from '@busbar/commands';
import type { AnyProtocolModule, DeviceConfigBase, DeviceEntry, DeviceJob, DeviceRecords, JobContext, Session } from '@busbar/protocol';
import { commandResolver, deviceTable } from '@busbar/protocol';
import { DeviceSupervisor } from '@busbar/supervisor';
import type { KafkaConfig, TopicsConfig } from '@busbar/kafka';
import { journalPathOf, storeAndForwardOptions } from './config.js';
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
  /** The `journal:` section (routed commands' execution journal); default path when absent. */
  readonly journal?: { readonly path?: string | undefined };
}

/** How long past the longest command lifetime a journal entry is kept, ms (as the results topic is read back). */
const JOURNAL_MARGIN_MS = 600_000;

/** A running collector: `/healthz` details, `/readyz` checks and a graceful stop. */
export interface RunningCollector {
  health(): { ok: boolean; degraded?: readonly string[]; details: Record<string, unknown> };
  /** `/readyz`: one check per device session and one for forwarding ({@link collectorReadiness}). */
  ready(): Readiness;
  stop(): Promise<void>;
}

/** How long a stop waits for a background job's step in progress (its publish acknowledged by Kafka), ms. */
const JOB_STOP_GRACE_MS = 10_000;
/** Backoff of a failed background job run: core `backoffDelayMs` from this, doubling, with jitter, ms. */
const JOB_RETRY = { initialDelayMs: 1000, maxDelayMs: 30_000 } as const;

/** Rejects with `BB_COLLECTOR_NOT_ACKNOWLEDGED` when `signal` aborts before `p` settles. */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) p.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new BusbarError('BB_COLLECTOR_NOT_ACKNOWLEDGED', `records were not acknowledged by Kafka within ${JOB_STOP_GRACE_MS} ms of the stop; the job's cursor stays where it was`, { retriable: true }));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** One device under supervision. */
interface Supervised {
  readonly entry: DeviceEntry;
  readonly supervisor: DeviceSupervisor<unknown>;
  current(): Session | undefined;
  /** The device's background job, if its module has one for it. */
  readonly job: DeviceJob<Session> | undefined;
  /** Resolves the next time a session is opened (or at stop). */
  nextConnect(): Promise<void>;
  /** Resolves when the records its session pushed so far (`module.listen`) are stored. */
  drained(): Promise<void>;
}

/**
 * Starts a collector for `module`'s devices.
 *
 * @param service - service name (`collector-modbus`): Kafka client id and consumer group names.
 * @throws when Kafka cannot be reached at start (the device loops themselves never throw).
 */
export async function startCollector(module: AnyProtocolModule, service: string, config: CollectorRuntimeConfig, deps: { readonly logger: Logger; readonly metrics: Metrics }): Promise<RunningCollector> {
  const { logger, metrics } = deps;
  // background jobs first: a job that cannot start (a corrupt cursor file) stops the collector before Kafka is touched
  const jobs = new Map<string, DeviceJob<Session>>();
  for (const device of config.devices) {
    const job = module.job?.(device, { logger: logger.child({ device: device.id }), metrics }) as DeviceJob<Session> | undefined;
    if (job === undefined) continue;
    await job.prepare?.();
    jobs.set(device.id, job);
  }
  const kit = await CollectorKit.start({ service, protocol: module.protocol, kafka: config.kafka, topics: config.topics, instanceId: config.instanceId, buffer: storeAndForwardOptions(service, config.instanceId, config.buffer), logger, metrics });
  const table = deviceTable([{ module, devices: config.devices }]);
  const supervised = new Map<string, Supervised>();
  /** Sessions that reported their loss: no command goes to one, even before the supervisor closed it. */
  const lostSessions = new WeakSet<Session>();
  const m = {
    readings: metrics.counter({ name: 'busbar_collector_readings_total', help: 'Readings taken by the store-and-forward buffer (forwarded to Kafka from there), per device.', labelNames: ['device'] }),
    events: metrics.counter({ name: 'busbar_collector_events_total', help: 'Device events from polls (state transitions, faults), per device and kind.', labelNames: ['device', 'kind'] }),
  };
  const jobErrors = metrics.counter({ name: 'busbar_collector_job_errors_total', help: 'Failed runs of a device background job (e.g. a log backfill window), retried with backoff, by code.', labelNames: ['device', 'job', 'code'] });
  let sequence = 0;
  const nextSequence = (): number => ++sequence;
  /** Set once the kit is closed: records pushed later are dropped (logged). */
  let kitClosed = false;
  /** Aborted at stop: jobs finish the step in progress. */
  const stopping = new AbortController();
  /** Aborted when the stop's grace period is over: a job's wait for Kafka's acknowledgement gives up. */
  const hardStop = new AbortController();

  for (const entry of table.values()) {
    const device = entry.device;
    const log = logger.child({ device: device.id });
    let state: unknown = module.initialState?.(device);
    let session: Session | undefined;
    const connectWaiters: (() => void)[] = [];
    const connected = module.connected;
    const connectionEvents = kit.connectionEvents(device.id, connected ? { connected: (info) => (session ? connected(session, device, info) : {}) } : {});
    const acknowledge = module.acknowledge?.bind(module) as ((s: Session | undefined, d: DeviceConfigBase, raw: unknown) => Promise<void>) | undefined;
    const publish = async (records: DeviceRecords): Promise<void> => {
      if (records.readings.length > 0 && (await kit.publishReadings(records.readings))) m.readings.inc({ device: device.id }, records.readings.length);
      const events = records.events ?? [];
      for (const e of events) m.events.inc({ device: device.id, kind: e.kind });
      await kit.publishEvents(events);
    };
    // records a session pushes by itself (module.listen), appended in order; never awaited by the session
    let pushed: Promise<void> = Promise.resolve();
    const emit = (records: DeviceRecords): void => {
      if (kitClosed) {
        // after the stop (a late completion of a device write): the buffer is closed, say what is dropped
        log.warn({ readings: records.readings.length, events: (records.events ?? []).map((e) => e.kind) }, 'records pushed by the session after the collector stopped are dropped');
        return;
      }
      pushed = pushed.then(() => publish(records)).catch((err: unknown) => log.error({ err, code: errorCode(err) }, 'records pushed by the session could not be stored'));
    };
    const supervisor: DeviceSupervisor<unknown> = new DeviceSupervisor<unknown>(
      {
        connect: async () => {
          const opened = (await module.open(device, { logger: log, metrics })) as Session;
          session = opened;
          module.listen?.(opened, device, { emit, nextSequence });
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
          // a source-driven module's poll may be read again (its publish failed): its per-device state
          // moves on only with the acknowledgement, so the re-read derives the same events
          const draft = acknowledge !== undefined ? structuredClone(state) : state;
          const records = module.toRecords(device, raw, { atMs, nextSequence, state: draft });
          const events = records.events ?? [];
          if (acknowledge !== undefined) {
            // source-driven: Kafka's acknowledgement first, then the module's cursor; on failure the
            // session is dropped so that the next one re-reads from the persisted cursor
            const polled = session;
            try {
              await kit.publishAcknowledged(records.readings, events);
              await acknowledge(polled, device, raw);
            } catch (err) {
              log.warn({ code: errorCode(err), err: err instanceof Error ? err.message : String(err) }, 'records not acknowledged; the source is read again from its persisted cursor');
              if (polled !== undefined && session === polled) supervisor.reportLost(err);
              return;
            }
            state = draft;
            if (records.readings.length > 0) m.readings.inc({ device: device.id }, records.readings.length);
            for (const e of events) m.events.inc({ device: device.id, kind: e.kind });
          } else await publish(records);
        },
        ...connectionEvents,
        onConnected: async (info) => {
          await connectionEvents.onConnected(info);
          const s = session;
          // a loss reported before the supervisor counted the session as connected was ignored by it: report it now
          if (s !== undefined && lostSessions.has(s)) supervisor.reportLost(await s.lost);
          for (const wake of connectWaiters.splice(0)) wake(); // the background job may start on it
        },
      },
      { deviceId: device.id, pollIntervalMs: device.pollIntervalMs, logger: log, metrics },
    );
    supervised.set(device.id, {
      entry, supervisor, current: () => session, job: jobs.get(device.id), drained: () => pushed,
      nextConnect: () => new Promise<void>((resolve) => {
        const done = (): void => {
          stopping.signal.removeEventListener('abort', done);
          resolve();
        };
        connectWaiters.push(done);
        stopping.signal.addEventListener('abort', done, { once: true });
      }),
    });
  }

  // Commands routed here for the exclusive-session devices this process owns, run between two polls
  // on the supervised session (validated again: defence in depth, a collector never trusts the topic).
  // A module's own activity (Maccor direct control) on the current sessions, reporting through the kit.
  const activity = module.attach?.(config.devices, {
    session: (id: string) => {
      const s = supervised.get(id);
      const current = s?.current();
      return current !== undefined && s!.supervisor.isConnected && !lostSessions.has(current) ? current : undefined;
    },
    publishEvent: (e) => kit.publishEventsOrThrow([e]),
    publishResult: (r) => kit.publishResult(r),
    logger,
    metrics,
  });

  const owned = [...supervised.values()].filter((s) => module.sessionMode(s.entry.device) === 'exclusive');
  let journal: ExecutionJournal | undefined;
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
    // kept one lifetime plus the replay margin: beyond that a repeat is refused by its expiry anyway
    journal = new ExecutionJournal({ path: journalPathOf(service, config.instanceId, config.journal ?? {}), retainMs: config.maxCommandLifetimeMs + JOURNAL_MARGIN_MS, logger });
    const executor = new CommandExecutor({ maxLifetimeMs: config.maxCommandLifetimeMs, logger, metrics, resolve, journal });
    const ownedIds = new Set(owned.map((s) => s.entry.device.id));
    await kit.consumeRoutedCommands({
      executor,
      owns: (id) => ownedIds.has(id),
      concurrent: (cmd) => module.actions[cmd.action]?.concurrent === true,
      orderAfterConcurrent: module.orderAfterConcurrent ?? false,
    });
  }

  /** How each device's job stands, for `/healthz`: `ok`, `waiting for the device`, or its last failure. */
  const jobHealth = new Map<string, string>();
  /** Runs a device's job on its current session until the stop: again after `intervalMs`, or after a backoff when it failed. */
  const runJob = async (s: Supervised, job: DeviceJob<Session>): Promise<void> => {
    const deviceId = s.entry.device.id;
    const log = logger.child({ device: deviceId, job: job.name });
    const ctx: JobContext = {
      publishAcknowledged: (readings: readonly ReadingInput[]) => untilAborted(kit.publishReadingsAcknowledged(readings), hardStop.signal),
      publishEvents: (events) => kit.publishEventsOrThrow(events),
      nextSequence,
      signal: stopping.signal,
    };
    let attempt = 0;
    while (!stopping.signal.aborted) {
      const current = s.current();
      if (current === undefined || lostSessions.has(current) || !s.supervisor.isConnected) {
        jobHealth.set(deviceId, `${job.name}: waiting for the device`);
        await s.nextConnect();
        continue;
      }
      try {
        await job.run(current, ctx);
        attempt = 0;
        jobHealth.set(deviceId, `${job.name}: ok`);
        await sleep(job.intervalMs, stopping.signal);
      } catch (err) {
        const code = errorCode(err);
        jobErrors.inc({ device: deviceId, job: job.name, code });
        jobHealth.set(deviceId, `${job.name}: failing (${code}: ${err instanceof Error ? err.message : String(err)})`);
        const delayMs = backoffDelayMs(attempt++, JOB_RETRY);
        log.warn({ code, err: err instanceof Error ? err.message : String(err), retryInMs: delayMs }, `${job.name} failed; retrying`);
        await sleep(delayMs, stopping.signal);
      }
    }
  };

  for (const s of supervised.values()) s.supervisor.start();
  const jobLoops = [...supervised.values()].flatMap((s) => (s.job === undefined ? [] : [runJob(s, s.job)]));
  logger.info({ protocol: module.protocol, devices: [...supervised.keys()], owned: owned.map((s) => s.entry.device.id) }, 'collector running');

  return {
    health: () => {
      const devices = Object.fromEntries([...supervised].map(([id, s]) => [id, s.supervisor.isConnected ? 'up' : `down: ${s.supervisor.lastErrorMessage ?? 'connecting'}`]));
      const forwarding = kit.forwardingProblem();
      return { ok: true, ...(forwarding === undefined ? {} : { degraded: [forwarding] }), details: { devices, ...activity?.health?.(), forwarding: forwarding ?? 'ok', ...(jobHealth.size > 0 ? { jobs: Object.fromEntries(jobHealth) } : {}) } };
    },
    ready: () => collectorReadiness(new Map([...supervised].map(([id, s]) => [id, { connected: s.supervisor.isConnected, lastError: s.supervisor.lastErrorMessage }])), kit.forwardingProblem()),
    stop: async () => {
      stopping.abort();
      await kit.stopCommands();
      await activity?.stop();
      // a job's step in progress finishes (published, acknowledged, its cursor advanced) — within a grace period
      const grace = setTimeout(() => hardStop.abort(), JOB_STOP_GRACE_MS);
      await Promise.all(jobLoops);
      clearTimeout(grace);
      await Promise.all([...supervised.values()].map((s) => s.supervisor.stop()));
      // what the sessions pushed before they closed (e.g. the interlock's last transitions) is stored first
      // (records pushed while waiting are chained on: wait until the chains stop growing)
      for (const s of supervised.values()) {
        for (let seen: Promise<void> | undefined; seen !== s.drained(); ) {
          seen = s.drained();
          await seen;
        }
      }
      kitClosed = true;
      await kit.close();
      journal?.close();
    },
  };
}

/**
 * `--test` mode (like `telegraf --test`): opens each device once, polls it once and writes the
 * records as JSON lines — each Reading as it is, each DeviceEvent as `{"event": …}` — without Kafka;
 * then the readings of its background job's `sample` (the newest log records...), if it has one.
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
    const ctx = { logger: deps.logger.child({ device: device.id }), metrics: deps.metrics };
    try {
      session = (await module.open(device, ctx)) as Session;
      const atMs = Date.now();
      const raw: unknown = await module.poll(session, device);
      const records = module.toRecords(device, raw, { atMs, nextSequence: () => ++sequence, state: module.initialState?.(device) });
      for (const r of records.readings) write(JSON.stringify({ ...r, timestamp: r.timestamp.toISOString() }));
      for (const e of records.events ?? []) write(JSON.stringify({ event: { ...e, timestamp: e.timestamp.toISOString() } }));
      const job = module.job?.(device, ctx) as DeviceJob<Session> | undefined;
      for (const r of (await job?.sample?.(session, { nextSequence: () => ++sequence })) ?? []) write(JSON.stringify({ ...r, timestamp: r.timestamp.toISOString() }));
    } catch (err) {
      failed++;
      write(JSON.stringify({ device_id: device.id, error: errorCode(err), message: err instanceof Error ? err.message : String(err) }));
    } finally {
      await session?.close().catch(() => undefined);
    }
  }
  return failed;
}
