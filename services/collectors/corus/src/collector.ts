/**
 * The Corus collector's composition (docs/architecture.md "Single-session devices"): per device
 * ONE `CorusSession` (the device serves one session, itron-corus reference README §3.5), shared by
 * - a {@link DeviceSupervisor}: parameter polls → one Reading per device, connection changes →
 *   DeviceEvents;
 * - a {@link LogBackfill} loop: log records → Readings with their own timestamps, cursor persisted
 *   after Kafka acknowledged them;
 * - the routed-command consumer: `corus.*` commands the commander routed here run through the
 *   same `CommandExecutor` and the binding's validation, then at the session's WRITE priority —
 *   ahead of queued polls and log windows; the session runs one log window per request, so a write
 *   waits at most for the request in progress, and polling and backfill resume after it.
 * The Kafka side (producer, publishers, connection events, routed-commands consumer) is the shared
 * {@link CollectorKit}.
 */
import type { Logger, Metrics } from '@busbar/core';
import { CommandExecutor } from '@busbar/commands';
import type { ReadingInput } from '@busbar/avro';
import { CollectorKit, storeAndForwardOptions } from '@busbar/collector-kit';
import type { CorusSession, LogRecord, ParameterValue } from '@busbar/driver-itron-corus';
import type { RunningService } from '@busbar/runtime';
import { DeviceSupervisor } from '@busbar/supervisor';
import { LogBackfill } from './backfill.js';
import type { CollectorConfig, ResolvedCorusDevice } from './config.js';
import { CursorStore } from './cursor.js';
import { PROTOCOL, logRecordReading, parameterReading } from './records.js';
import { deviceNowMs, sessionFor } from './session.js';

/** Largest number of records in one produce request of a backfill window. */
const PUBLISH_BATCH = 500;

/** A sleep that {@link Sleeper.wake} ends early (for a prompt stop). */
class Sleeper {
  private wakers = new Set<() => void>();
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.wakers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }
  wake(): void {
    for (const w of [...this.wakers]) w();
  }
}

/** Everything the collector runs for one device. */
interface DeviceRuntime {
  readonly device: ResolvedCorusDevice;
  readonly session: CorusSession;
  readonly supervisor: DeviceSupervisor<Record<string, ParameterValue>>;
  readonly backfill: LogBackfill | undefined;
  loop: Promise<void> | undefined;
}

/**
 * Starts the collector.
 *
 * @throws when Kafka cannot be reached at start, or a cursor file is invalid
 *   (`BB_CORUS_COLLECTOR_STATE_INVALID`); the device loops themselves never throw.
 */
export async function startCorusCollector(config: CollectorConfig, deps: { logger: Logger; metrics: Metrics }): Promise<RunningService> {
  const { logger, metrics } = deps;
  const { binding } = config;
  const store = new CursorStore(config.stateDir);
  for (const d of binding.devices) await store.load(d.id); // fail fast on a corrupt cursor file

  const kit = await CollectorKit.start({ service: 'collector-corus', protocol: PROTOCOL, kafka: config.kafka, topics: config.topics, instanceId: config.instanceId, buffer: storeAndForwardOptions('collector-corus', config.instanceId, config.buffer), logger, metrics });
  const backfillErrors = metrics.counter({ name: 'busbar_collector_corus_backfill_errors_total', help: 'Failed Corus log backfill windows (retried with backoff), by code.', labelNames: ['device', 'code'] });

  let sequence = 0;
  let running = true;
  const sleeper = new Sleeper();
  const runtimes = new Map<string, DeviceRuntime>();
  for (const device of binding.devices) {
    const log = logger.child({ deviceId: device.id });
    const session = sessionFor(device, log, metrics);
    const supervisor = new DeviceSupervisor<Record<string, ParameterValue>>(
      {
        connect: async () => {
          await session.readMapName(); // opens the link: wake-up, sign-on, password, map check (§3, §7.1)
        },
        poll: () => session.readParameters(device.pollNames),
        close: async () => undefined, // the session re-opens its link itself; closed at stop
      },
      {
        onPoll: async (values, atMs) => {
          await kit.publishReadings([parameterReading(device.id, values, atMs, ++sequence)]);
        },
        ...kit.connectionEvents(device.id),
      },
      { deviceId: device.id, pollIntervalMs: device.pollIntervalMs, logger: log, metrics },
    );
    const backfill = device.logNames.length === 0 ? undefined : new LogBackfill({
      deviceId: device.id,
      logs: device.logNames.map((name) => ({ name, intervalS: device.corusMap.config.logs[name]?.intervalS })),
      source: session,
      store,
      chunkS: device.logChunkS,
      lookbackS: device.logs.lookbackS,
      rescanS: device.logs.rescanS,
      deviceNowMs: () => deviceNowMs(session),
      publish: async (records: readonly LogRecord[]) => {
        // Throws unless Kafka acknowledged every batch: the cursor then stays where it was.
        for (let i = 0; i < records.length; i += PUBLISH_BATCH) {
          const batch: ReadingInput[] = records.slice(i, i + PUBLISH_BATCH).map((r) => logRecordReading(device.id, r, ++sequence));
          await kit.publishReadingsOrThrow(batch);
        }
      },
      logger: log,
      metrics,
    });
    runtimes.set(device.id, { device, session, supervisor, backfill, loop: undefined });
  }

  const backfillLoop = async (rt: DeviceRuntime, backfill: LogBackfill): Promise<void> => {
    const log = logger.child({ deviceId: rt.device.id });
    let delay = 1000;
    while (running) {
      try {
        const n = await backfill.pass(() => running);
        if (n > 0) log.info({ records: n }, 'log backfill pass published records');
        delay = 1000;
        if (running) await sleeper.sleep(rt.device.logs.intervalMs);
      } catch (err) {
        const code = (err as { code?: string }).code ?? 'BB_CORE_UNEXPECTED';
        backfillErrors.inc({ device: rt.device.id, code });
        log.warn({ code, err: err instanceof Error ? err.message : String(err), retryInMs: delay }, 'log backfill window failed; cursor unchanged, retrying');
        if (running) await sleeper.sleep(delay);
        delay = Math.min(delay * 2, 30_000);
      }
    }
  };

  // Commands the commander routed here (every Corus is single-session).
  const executor = new CommandExecutor({
    maxLifetimeMs: config.maxCommandLifetimeMs,
    logger,
    metrics,
    resolve: (cmd) => {
      const rt = runtimes.get(cmd.target.device_id)!;
      return { kind: 'execute', action: binding.prepare(cmd, () => rt.session) }; // validated again: defence in depth
    },
  });
  await kit.consumeRoutedCommands({ executor, owns: (id) => runtimes.has(id) });

  for (const rt of runtimes.values()) {
    rt.supervisor.start();
    if (rt.backfill) rt.loop = backfillLoop(rt, rt.backfill);
  }
  logger.info({ devices: [...runtimes.keys()], stateDir: config.stateDir }, 'corus collector running');

  return {
    health: () => {
      const devices = Object.fromEntries([...runtimes].map(([id, rt]) => [id, rt.supervisor.isConnected ? 'up' : `down: ${rt.supervisor.lastErrorMessage ?? 'connecting'}`]));
      const forwarding = kit.forwardingProblem();
      return { ok: true, ...(forwarding === undefined ? {} : { degraded: [forwarding] }), details: { devices, forwarding: forwarding ?? 'ok' } };
    },
    stop: async () => {
      running = false;
      sleeper.wake();
      await kit.stopCommands();
      // The window in progress finishes (published, cursor written) before the loop ends.
      await Promise.all([...runtimes.values()].map((rt) => rt.loop));
      await Promise.all([...runtimes.values()].map((rt) => rt.supervisor.stop()));
      await Promise.all([...runtimes.values()].map((rt) => rt.session.close()));
      await kit.close();
    },
  };
}
