/**
 * The Itron/Actaris Corus (IFLAG) protocol module.
 *
 * Session: **exclusive, always.** A Corus serves one session at a time with strict turn-taking
 * (itron-corus reference README §3.5, §13): the commander never connects; it validates `corus.*`
 * commands against the device's map and routes them to the Corus collector, which runs them on its
 * own session at the session's write priority — ahead of queued polls and log windows, so a write
 * waits at most for the one request in progress (docs/architecture.md "Single-session devices").
 *
 * Poll: the configured parameters (`pollParameters`, default every parameter but the map name) →
 * ONE Reading per device with exact decimals (`records.ts`).
 *
 * Background job (`log-backfill`, collector only, for devices with logs): the incremental log
 * backfill (`backfill.ts`, reference §9) on the same session, its records published through the
 * collector's store-and-forward path and its cursor (`cursor.ts`, one file per device in
 * `stateDir`) advanced only once Kafka acknowledged them.
 */
import type { Logger, Metrics } from '@busbar/core';
import type { CorusSession, LogRecord, ParameterValue } from '@busbar/driver-itron-corus';
import { parseDayStart } from '@busbar/driver-itron-corus';
import type { DeviceEventInput } from '@busbar/avro';
import { defineAction } from '@busbar/protocol';
import type { DeviceJob, ProtocolModule } from '@busbar/protocol';
import type { CorusPlan } from './actions.js';
import { CORUS_SET_CLOCK, CORUS_WRITE_PARAMETERS, executeCorusPlan, validateCorusCommand } from './actions.js';
import { LogBackfill, type BackfillRecord } from './backfill.js';
import { CursorStore } from './cursor.js';
import type { CorusDeviceConfig, ResolvedCorusDevice } from './device-config.js';
import { corusDevicesSchema, resolveCorusDevices } from './device-config.js';
import { PROTOCOL, clockSetBackEvent, logRecordReading, parameterReading } from './records.js';
import type { CorusDeviceSession } from './session.js';
import { deviceNowMs, openCorusSession } from './session.js';

/** Newest records per log that `--test` prints. */
const TEST_MODE_RECORDS = 4;

/** Options of {@link createCorusModule}. */
export interface CorusModuleOptions {
  /**
   * Directory of the log-backfill cursors (`<deviceId>.json`, absolute). Absent (the commander):
   * no backfill job.
   */
  readonly stateDir?: string;
}

const action = defineAction<ResolvedCorusDevice, CorusDeviceSession, CorusPlan>({
  validate: (cmd, device) => validateCorusCommand(cmd, device),
  describe: (plan) => plan.summary,
  execute: (session, plan, ctx) => executeCorusPlan(session.corus, plan, ctx.beforeSend),
});

/**
 * The log backfill of one device as a background job: one pass per run (until caught up or the
 * collector stops), on the session of the run.
 */
function backfillJob(device: ResolvedCorusDevice, store: CursorStore, logger: Logger, metrics: Metrics): DeviceJob<CorusDeviceSession> {
  let session: CorusSession | undefined;
  const current = (): CorusSession => {
    if (session === undefined) throw new Error('no Corus session'); // unreachable: set before every pass
    return session;
  };
  let publish: (records: readonly BackfillRecord[]) => Promise<void> = () => Promise.reject(new Error('not running'));
  let publishEvents: (events: readonly DeviceEventInput[]) => Promise<void> = () => Promise.reject(new Error('not running'));
  const backfill = new LogBackfill({
    deviceId: device.id,
    logs: device.logNames.map((name) => ({ name, intervalS: device.corusMap.config.logs[name]?.intervalS })),
    source: { readLogWindow: (log, range) => current().readLogWindow(log, range) },
    store,
    chunkS: device.logChunkS,
    lookbackS: device.logs.lookbackS,
    rescanS: device.logs.rescanS,
    deviceClock: async () => ({ nowMs: await deviceNowMs(current()), fromDevice: current().map.role('clock') !== undefined }),
    timeZone: device.timeZone,
    dayStartS: parseDayStart(device.gasDayStart, 'gasDayStart'),
    maxGapRequestsPerPass: device.logs.maxGapRequestsPerPass,
    publish: (records) => publish(records),
    publishClockSetBack: (log, e) => publishEvents([clockSetBackEvent(device.id, log, e)]),
    logger,
    metrics,
  });
  return {
    name: 'log-backfill',
    intervalMs: device.logs.intervalMs,
    prepare: async () => {
      await store.load(device.id); // fail fast on a corrupt cursor file
    },
    run: async (s, ctx) => {
      session = s.corus;
      // resolves only after Kafka acknowledged every record: the cursor moves after it
      publish = (records) => ctx.publishAcknowledged(records.map((r) => logRecordReading(device.id, r, ctx.nextSequence())));
      publishEvents = (events) => ctx.publishEvents(events);
      const n = await backfill.pass(() => !ctx.signal.aborted);
      if (n > 0) logger.info({ records: n }, 'log backfill pass published records');
    },
    sample: async (s, ctx) => {
      const now = await deviceNowMs(s.corus);
      const out = [];
      for (const name of device.logNames) {
        const intervalS = device.corusMap.config.logs[name]?.intervalS;
        const since = new Date(now - (intervalS !== undefined ? intervalS * TEST_MODE_RECORDS : 86_400) * 1000);
        const records: LogRecord[] = [];
        for await (const r of s.corus.readLog(name, { since, until: new Date(now) })) records.push(r);
        for (const r of records.slice(-TEST_MODE_RECORDS)) out.push(logRecordReading(device.id, r, ctx.nextSequence()));
      }
      return out;
    },
  };
}

/**
 * Creates the Corus module: `corus.write_parameters`, `corus.set_clock`; with `stateDir`, the log
 * backfill job of each device that has logs.
 */
export function createCorusModule(options: CorusModuleOptions = {}): ProtocolModule<ResolvedCorusDevice, CorusDeviceSession, Record<string, ParameterValue>, undefined, CorusDeviceConfig> {
  const store = options.stateDir === undefined ? undefined : new CursorStore(options.stateDir);
  return {
    protocol: PROTOCOL,
    actionPrefix: 'corus.',
    devicesSchema: corusDevicesSchema,
    resolveDevices: resolveCorusDevices,
    sessionMode: () => 'exclusive',
    open: (device, ctx) => openCorusSession(device, ctx.logger, ctx.metrics),
    poll: (session, device) => session.corus.readParameters(device.pollNames),
    toRecords: (device, values, ctx) => ({ readings: [parameterReading(device.id, values, ctx.atMs, ctx.nextSequence())] }),
    job: (device, ctx) => (store === undefined || device.logNames.length === 0 ? undefined : backfillJob(device, store, ctx.logger, ctx.metrics)),
    actions: {
      [CORUS_WRITE_PARAMETERS]: action,
      [CORUS_SET_CLOCK]: action,
    },
  };
}
