/**
 * The driver against the sketch simulator over a real pty pair (Debian socat): readings, the pin
 * whitelist, command pacing, loss and silence.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArduinoIoClient } from '../../src/client/arduino-io-client.js';
import type { TimedReading } from '../../src/client/arduino-io-client.js';
import { openPtyPair } from '../../src/simulator/pty-pair.js';
import type { PtyPair } from '../../src/simulator/pty-pair.js';
import { startSketchSimulator } from '../../src/simulator/sketch-simulator.js';
import type { SketchSimulator } from '../../src/simulator/sketch-simulator.js';
import type { ArduinoError } from '../../src/errors.js';

const CONFIG = {
  outputPins: [6, 7, 5, 3, 4],
  thermistor: { seriesResistanceOhm: 2200, table: [{ temperature_c: 0, resistance_ohm: 4000 }, { temperature_c: 20, resistance_ohm: 2200 }, { temperature_c: 50, resistance_ohm: 1000 }] },
  pressure: { zeroVoltageV: 0.5, fullScaleVoltageV: 4.5, fullScalePa: 1_000_000 },
};

let pty: PtyPair;
let sim: SketchSimulator;
const clients: ArduinoIoClient[] = [];

async function open(extra: Partial<Parameters<typeof ArduinoIoClient.open>[0]> = {}): Promise<ArduinoIoClient> {
  const c = await ArduinoIoClient.open({ path: pty.b, config: CONFIG, commandGapMs: 150, silenceTimeoutMs: 1000, firstLineTimeoutMs: 2000, ...extra });
  clients.push(c);
  return c;
}

function nextReading(c: ArduinoIoClient, pred: (r: TimedReading) => boolean = () => true): Promise<TimedReading> {
  return new Promise((resolve) => {
    const on = (r: TimedReading): void => {
      if (!pred(r)) return;
      c.off('reading', on);
      resolve(r);
    };
    c.on('reading', on);
  });
}

beforeEach(async () => {
  pty = await openPtyPair();
  sim = await startSketchSimulator({ path: pty.a, intervalMs: 50, commandQuietMs: 60, analog: { temperature1Counts: 512, temperature2Counts: 300, pressureCounts: 512 } });
});

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  await sim.close();
  await pty.close();
});

describe('ArduinoIoClient over a pty with the sketch simulator', () => {
  it('opens on the first valid line and converts readings as they arrive', async () => {
    const c = await open();
    expect(c.latest?.raw).toEqual({ temperature1Counts: 512, temperature2Counts: 300, pressureCounts: 512 });
    expect(c.latest?.temperature1_c).toEqual({ value: 20, status: 'ok' });
    expect(c.latest?.pressure_pa).toEqual({ value: 500_000, status: 'ok' });
    sim.setAnalog({ temperature1Counts: 0 });
    const hot = await nextReading(c, (r) => r.raw.temperature1Counts === 0);
    expect(hot.temperature1_c).toEqual({ value: 50, status: 'above_range' });
  });

  it('switches whitelisted pins on the sketch and refuses others before writing', async () => {
    const c = await open();
    const command = sim.nextCommand();
    await expect(c.setOutputs({ 6: true, 7: true })).resolves.toEqual({ command: '6:1&7:1', verified: 'drained' });
    expect(await command).toBe('6:1&7:1');
    expect(sim.pins.get(6)).toBe(true);
    expect(sim.pins.get(7)).toBe(true);
    expect(sim.pins.get(5)).toBe(false);

    const refused = c.setOutputs({ 13: true });
    await expect(refused).rejects.toMatchObject({ code: 'BB_ARDUINO_PIN_NOT_ALLOWED', outcome: 'not_sent' });
    // a later allowed command is the next thing the sketch reads: nothing of the refused one was written
    const next = sim.nextCommand();
    await c.setOutputs({ 6: false }, { awaitNextReading: true }).then((r) => expect(r).toEqual({ command: '6:0', verified: 'board_alive' }));
    expect(await next).toBe('6:0');
    expect(sim.commands).toEqual(['6:1&7:1', '6:0']);
    expect(sim.pins.has(13)).toBe(false);
  });

  it('keeps commands apart so that the sketch never reads two as one', async () => {
    const c = await open({ commandGapMs: 200 });
    const all = Promise.all([c.setOutputs({ 5: true }), c.setOutputs({ 3: true }), c.setOutputs({ 4: true, 5: false })]);
    await all;
    while (sim.commands.length < 3) await sim.nextCommand();
    expect(sim.commands).toEqual(['5:1', '3:1', '4:1&5:0']);
    expect([sim.pins.get(3), sim.pins.get(4), sim.pins.get(5)]).toEqual([true, true, false]);
  });

  it('calls beforeSend after the gap and writes nothing when it throws (a command that expired while queued)', async () => {
    const c = await open({ commandGapMs: 300 });
    const order: string[] = [];
    await c.setOutputs({ 5: true });
    const expired = new Error('expired while queued');
    const refused = c.setOutputs({ 3: true }, {
      beforeSend: () => {
        order.push('beforeSend');
        throw expired;
      },
    });
    await expect(refused).rejects.toBe(expired);
    const next = sim.nextCommand();
    await c.setOutputs({ 4: true }, { beforeSend: () => order.push('beforeSend 2') });
    while (sim.commands.length < 2) await next;
    expect(order).toEqual(['beforeSend', 'beforeSend 2']);
    expect(sim.commands).toEqual(['5:1', '4:1']);
    expect(sim.pins.get(3)).toBe(false);
  });

  it('reports malformed lines and carries on', async () => {
    const c = await open();
    const errors: ArduinoError[] = [];
    c.on('lineError', (e) => errors.push(e));
    sim.pause();
    await sim.sendRaw('Ardu_Temp1:9999,Ardu_Temp2:1,Ardu_Press:1\r\ngarbage\r\n');
    const after = nextReading(c);
    sim.resume();
    await after;
    expect(errors.map((e) => e.code)).toEqual(['BB_ARDUINO_LINE_INVALID', 'BB_ARDUINO_LINE_INVALID']);
    expect(c.isLost).toBe(false);
  });

  it('reports silence as loss and never reconnects', async () => {
    const c = await open({ silenceTimeoutMs: 300 });
    sim.pause();
    const err = await c.lost;
    expect(err.code).toBe('BB_ARDUINO_SILENT');
    expect(c.isLost).toBe(true);
    sim.resume();
    await new Promise((r) => setTimeout(r, 200));
    await expect(c.setOutputs({ 6: true })).rejects.toMatchObject({ code: 'BB_ARDUINO_CONNECTION', outcome: 'not_sent' });
  });

  it('reports the loss of the line (the other end goes away)', async () => {
    const c = await open({ silenceTimeoutMs: 60_000 });
    await sim.close();
    await pty.close();
    const err = await c.lost;
    expect(err.code).toBe('BB_ARDUINO_CONNECTION'); // the port fails at once (silence would take 60 s)
    expect(err.message).toMatch(/serial port .* (closed|failed)/);
    expect(err.retriable).toBe(true);
  });

  it('fails to open with a timeout when the board prints nothing', async () => {
    sim.pause();
    await expect(open({ firstLineTimeoutMs: 300 })).rejects.toMatchObject({ code: 'BB_ARDUINO_TIMEOUT' });
  });

  it('fails to open a port that does not exist', async () => {
    await expect(open({ path: `${pty.b}-missing` })).rejects.toMatchObject({ code: 'BB_ARDUINO_CONNECTION' });
  });

  it('refuses an invalid configuration before opening anything', async () => {
    await expect(open({ config: { ...CONFIG, outputPins: [] } })).rejects.toMatchObject({ code: 'BB_ARDUINO_CONFIG_INVALID' });
  });
});
