/**
 * One session with a rig: the three links opened once (CAN through socketcand, the PCS on Modbus RTU
 * with its heartbeat fed, the Arduino on its serial line), wired to the rig's {@link RigController}:
 * every decoded BMU PDO and every Arduino line goes to the interlock the moment it arrives (the
 * interlock never waits for a poll), the PCS status comes with each poll.
 *
 * The session never reconnects: the first link lost ends it (`lost`), the collector runtime closes
 * it and opens a new one; the controller — and a latched safe state — outlive it. Closing switches
 * the PCS off (best effort, as the original's close, reference §4.4) and stops feeding the heartbeat,
 * so the PCS stops by itself after its timeout if that write failed.
 */
import type { Logger } from '@busbar/core';
import { systemClock } from '@busbar/core';
import type { DeviceEventInput, ReadingInput } from '@busbar/avro';
import { ArduinoIoClient } from '@busbar/driver-arduino-io';
import type { TimedReading } from '@busbar/driver-arduino-io';
import { CanReceiver, connectSocketcand, startSyncSender } from '@busbar/driver-can';
import type { CanTransport, SyncSender } from '@busbar/driver-can';
import { ModbusConnectionError, ModbusDeviceClient, PcsHeartbeat, pcsSetpointRaw } from '@busbar/driver-modbus';
import type { OpenContext, Session } from '@busbar/protocol';
import { BmuState } from './bmu.js';
import { RigController } from './controller.js';
import type { RigActuators, RigNotice } from './controller.js';
import type { ResolvedRigDevice } from './device-config.js';
import { noticeToEvent } from './records.js';

/** Protocol name written into every record. */
export const PROTOCOL = 'safety-rig';

/** Monotonic time (interlock ages, delays, schedule steps): not moved by wall-clock adjustments. */
const monotonicClock = { nowMs: () => performance.now() };

/** The controller of each rig, for the life of the process (a latched state survives reconnects). */
const controllers = new WeakMap<ResolvedRigDevice, RigController>();

/** The rig's controller (created on first use, with its own timer). */
export function controllerFor(device: ResolvedRigDevice, logger: Logger): RigController {
  let c = controllers.get(device);
  if (!c) {
    c = new RigController({
      interlock: device.interlockConfig,
      clock: monotonicClock,
      wallClock: systemClock,
      timer: { setTimeout: (fn, ms) => setTimeout(fn, ms).unref(), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
      logger,
    });
    controllers.set(device, c);
  }
  return c;
}

/**
 * The controller of a rig, if one was created in this process (benches and the demo reset its latch
 * directly, as `rig.reset_latch` does, when Kafka is not there to carry the command).
 */
export function rigControllerOf(device: ResolvedRigDevice): RigController | undefined {
  return controllers.get(device);
}

/** Where a session's own records go (set by the collector runtime through `listen`). */
export interface RigRecordSink {
  emit(records: { readonly readings: readonly ReadingInput[]; readonly events?: readonly DeviceEventInput[] }): void;
  nextSequence(): number;
}

/** An open rig session. */
export interface RigSession extends Session {
  readonly controller: RigController;
  readonly pcs: ModbusDeviceClient;
  readonly arduino: ArduinoIoClient;
  readonly can: CanTransport;
  /** Routes BMU/Arduino readings and interlock events to the collector (module `listen`). */
  setSink(sink: RigRecordSink): void;
}

/**
 * Opens the three links and binds them to the rig's controller.
 *
 * @throws the drivers' connection errors (`BB_CAN_CONNECT_FAILED`, `BB_MODBUS_CONNECTION`,
 *   `BB_MODBUS_TIMEOUT`, `BB_ARDUINO_*`); whatever was opened is closed again.
 */
export async function openRigSession(device: ResolvedRigDevice, ctx: OpenContext): Promise<RigSession> {
  const controller = controllerFor(device, ctx.logger);
  const opened: Array<() => Promise<void>> = [];
  const closeOpened = async (): Promise<void> => {
    for (const close of opened.reverse()) await close().catch(() => undefined);
  };
  try {
    const can = await connectSocketcand({ host: device.can.socketcand.host, port: device.can.socketcand.port, bus: device.can.socketcand.bus, logger: ctx.logger });
    opened.push(() => can.close());
    const pcs = new ModbusDeviceClient({ connection: { kind: 'rtu', ...device.pcs.connection }, unitId: device.pcs.unitId, timeoutMs: device.pcs.timeoutMs, map: device.pcsProfile.map, plan: device.pcsProfile.plan, logger: ctx.logger, metrics: ctx.metrics, deviceId: `${device.id}/pcs` });
    const pcsLost = new Promise<Error>((resolve) => pcs.once('disconnected', (reason) => resolve(new ModbusConnectionError(`rig ${device.id}: PCS link lost: ${reason}`, { context: { device: device.id } }))));
    await pcs.connect();
    opened.push(() => pcs.close());
    await pcs.write('security_code', device.pcs.securityCode);
    const heartbeat = new PcsHeartbeat({ writer: pcs, timeoutS: device.pcs.heartbeat.timeoutS, intervalMs: device.pcs.heartbeat.intervalMs, deviceId: `${device.id}/pcs`, logger: ctx.logger, metrics: ctx.metrics });
    heartbeat.start();
    opened.push(() => heartbeat.stop());
    const arduino = await ArduinoIoClient.open({ path: device.arduino.path, baudRate: device.arduino.baudRate, config: device.arduinoConfig, silenceTimeoutMs: device.arduino.silenceTimeoutMs, commandGapMs: device.arduino.commandGapMs, logger: ctx.logger, metrics: ctx.metrics, deviceId: `${device.id}/arduino` });
    opened.push(() => arduino.close());
    let sync: SyncSender | undefined;
    if (device.can.syncPeriodMs !== undefined) sync = startSyncSender({ transport: can, periodMs: device.can.syncPeriodMs, logger: ctx.logger });
    const receiver = new CanReceiver({ transport: can, dbc: device.dbc, bmuStaleAfterMs: device.interlockConfig.inputs.bmu.staleAfterMs, logger: ctx.logger });
    opened.push(async () => {
      receiver.stop();
      sync?.stop();
    });

    const codes = device.pcsProfile.opModeCodes;
    const actuators: RigActuators = {
      pcsOff: async () => void (await pcs.write('op_mode', codes.off)),
      pcsSetpoint: async (sp) => {
        await pcs.write('op_mode', codes[sp.mode]);
        await pcs.write('op_mode_setpoint_raw', pcsSetpointRaw(sp.mode, sp.value));
      },
      setOutputs: async (outputs) => {
        const levels: Record<number, boolean> = {};
        for (const [name, on] of Object.entries(outputs)) levels[device.arduino.outputs[name]!] = on;
        await arduino.setOutputs(levels);
      },
    };

    let sink: RigRecordSink | undefined;
    const bmus = new Map<number, BmuState>();
    const lastBmuReading = new Map<number, number>();
    receiver.on('message', (m) => {
      if (m.nodeId === undefined) return;
      let state = bmus.get(m.nodeId);
      if (!state) bmus.set(m.nodeId, (state = new BmuState(device.can.cellCount)));
      controller.input(`bmu:${m.nodeId}`, state.apply(m.values));
      const last = lastBmuReading.get(m.nodeId) ?? -Infinity;
      if (sink && m.receivedAtMs - last >= device.can.readingIntervalMs) {
        lastBmuReading.set(m.nodeId, m.receivedAtMs);
        sink.emit({ readings: [{ device_id: device.id, protocol: PROTOCOL, channel: m.nodeId, timestamp: new Date(m.receivedAtMs), values: state.snapshot(), states: { source: 'bmu', interlock: controller.state }, quality: 'GOOD', sequence: sink.nextSequence(), record_type: 'rig:bmu' }] });
      }
    });
    arduino.on('reading', (r: TimedReading) => {
      const values = { temperature_1_c: r.temperature1_c.value, temperature_2_c: r.temperature2_c.value, pressure_pa: r.pressure_pa.value };
      controller.input('arduino', values);
      const inRange = r.temperature1_c.status === 'ok' && r.temperature2_c.status === 'ok' && r.pressure_pa.status === 'ok';
      sink?.emit({ readings: [{ device_id: device.id, protocol: PROTOCOL, channel: null, timestamp: new Date(r.receivedAtMs), values, states: { source: 'arduino', interlock: controller.state }, quality: inRange ? 'GOOD' : 'UNCERTAIN', sequence: sink.nextSequence(), record_type: 'rig:arduino' }] });
    });

    controller.attach(actuators);
    const lost = Promise.race([can.lost, pcsLost, arduino.lost]);
    let closed = false;
    return {
      controller,
      pcs,
      arduino,
      can,
      lost,
      setSink: (s) => {
        sink = s;
        controller.setSink((n: RigNotice) => s.emit({ readings: [], events: [noticeToEvent(device.id, n)] }));
      },
      close: async () => {
        if (closed) return;
        closed = true;
        controller.detach(actuators);
        if (pcs.connected) await pcs.write('op_mode', codes.off).catch(() => undefined);
        // in safe (the relay delay after PCS off has passed) the relays are opened too before the links
        // close — best effort, the lost link may be the Arduino's; in dangerous the delay has not passed,
        // and the next session's attach enforces the safe state
        if (controller.state === 'safe') await actuators.setOutputs(controller.safeOutputs()).catch(() => undefined);
        await closeOpened();
      },
    };
  } catch (err) {
    await closeOpened();
    throw err;
  }
}
