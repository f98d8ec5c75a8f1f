/**
 * The BaSyTec protocol module.
 *
 * Session: **exclusive.** The commander never connects to a tester; it validates and routes the
 * `basytec.*` commands, and the BaSyTec collector runs them on its own RCI connection, where the
 * ≤ 10 commands/s limit of the tester (reference §6) can be kept — by one limiter per tester.
 * The cursor file is owned by that one process as well.
 *
 * Source-driven: `poll` returns what is new in the export directory / database since the
 * cursors, and `acknowledge` advances the cursors once the runtime has Kafka's acknowledgement
 * for the poll's records (`@busbar/protocol` `ProtocolModule.acknowledge`).
 *
 * Commands run in the runtime's exclusive slot between two polls, one at a time per tester (so
 * also one per channel): a start whose reply takes minutes (reference §6) delays the next poll
 * by as much; rows are not lost, they are read at the next poll.
 */
import type { Logger } from '@busbar/core';
import { noopLogger } from '@busbar/core';
import { isAbsolute, join, resolve } from 'node:path';
import { defineAction } from '@busbar/protocol';
import type { ProtocolModule } from '@busbar/protocol';
import type { BasytecPlan } from './actions.js';
import { BASYTEC_ACTIONS, describeBasytecPlan, replyDetails, validateBasytecCommand } from './actions.js';
import type { BasytecDeviceConfig, BasytecDeviceInput } from './device-config.js';
import { basytecDevicesSchema } from './device-config.js';
import type { BasytecPoll, BasytecState } from './records.js';
import { PROTOCOL, pollRecords } from './records.js';
import type { BasytecSession } from './session.js';
import { openBasytecSession } from './session.js';

/** Options of {@link createBasytecModule}. */
export interface BasytecModuleOptions {
  /** Where `database.passwordEnv` is read. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Folder of the default cursor files (`basytec-<id>.cursors.json`). @default `state` under the working directory */
  readonly stateDir?: string;
  readonly logger?: Logger;
}

/**
 * Resolves a device's paths against the folder of the file that lists it: `resultFiles.dir`,
 * `database.path` (SQLite), `cursorFile` (default `<stateDir>/basytec-<id>.cursors.json`).
 */
export function resolveBasytecDevice(d: BasytecDeviceInput, baseDir: string, stateDir = resolve('state')): BasytecDeviceConfig {
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  return {
    ...d,
    cursorFile: d.cursorFile === undefined ? join(stateDir, `basytec-${d.id}.cursors.json`) : abs(d.cursorFile),
    ...(d.resultFiles === undefined ? {} : { resultFiles: { ...d.resultFiles, dir: abs(d.resultFiles.dir) } }),
    ...(d.database === undefined ? {} : { database: { ...d.database, ...(d.database.path === undefined ? {} : { path: abs(d.database.path) }) } }),
  };
}

/** The BaSyTec module's type (its session, poll and per-device state stay internal). */
export type BasytecModule = ProtocolModule<BasytecDeviceConfig, BasytecSession, BasytecPoll, BasytecState, BasytecDeviceInput>;

/**
 * Creates the BaSyTec module: `basytec.start_test`, `basytec.stop_test`.
 */
export function createBasytecModule(options: BasytecModuleOptions = {}): BasytecModule {
  const log = (options.logger ?? noopLogger).child({ protocol: PROTOCOL });
  const action = defineAction<BasytecDeviceConfig, BasytecSession, BasytecPlan>({
    validate: (cmd, device) => validateBasytecCommand(cmd, device),
    describe: describeBasytecPlan,
    execute: async (session, plan, ctx) => {
      const rci = await session.rci();
      const opts = { beforeSend: ctx.beforeSend };
      const reply = plan.kind === 'start' ? await rci.startTest(plan.channel, plan.plan, opts) : await rci.stopTest(plan.channel, opts);
      log.info({ device: ctx.command.target.device_id, commandId: ctx.command.command_id, request: reply.request, reply: reply.reply }, 'RCI command accepted');
      return replyDetails(reply);
    },
  });
  return {
    protocol: PROTOCOL,
    actionPrefix: 'basytec.',
    devicesSchema: basytecDevicesSchema,
    resolveDevices: (devices, baseDir) => devices.map((d) => resolveBasytecDevice(d, baseDir, options.stateDir === undefined ? undefined : resolve(options.stateDir))),
    sessionMode: () => 'exclusive',
    open: (device, ctx) => openBasytecSession(device, ctx.logger, ctx.metrics, options.env),
    poll: (session) => session.poll(),
    toRecords: (device, raw, ctx) => pollRecords(device.id, raw, ctx.state, ctx.nextSequence),
    acknowledge: async (_session, _device, raw) => {
      for (const b of raw.batches) await b.ack();
    },
    initialState: () => new Map(),
    actions: {
      [BASYTEC_ACTIONS.startTest]: action,
      [BASYTEC_ACTIONS.stopTest]: action,
    },
  };
}
