/**
 * The sketch simulator seen from a plain serial port on the other pty end (no driver involved): its
 * lines, and that it handles commands the way the firmware does (reference §5), including the merge of
 * two commands sent inside its read timeout — the reason the client keeps commands apart.
 */
import { SerialPort } from 'serialport';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPtyPair } from '../../src/simulator/pty-pair.js';
import type { PtyPair } from '../../src/simulator/pty-pair.js';
import { startSketchSimulator } from '../../src/simulator/sketch-simulator.js';
import type { SketchSimulator } from '../../src/simulator/sketch-simulator.js';

let pty: PtyPair;
let sim: SketchSimulator;
let port: SerialPort;

beforeEach(async () => {
  pty = await openPtyPair();
  sim = await startSketchSimulator({ path: pty.a, intervalMs: 40, commandQuietMs: 80, analog: { temperature1Counts: 100, temperature2Counts: 200, pressureCounts: 300 } });
  port = new SerialPort({ path: pty.b, baudRate: 9600, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
});
afterEach(async () => {
  if (port.isOpen) await new Promise<void>((r) => port.close(() => r()));
  await sim.close();
  await pty.close();
});

const write = (s: string): Promise<void> => new Promise((resolve, reject) => port.write(s, (e) => (e ? reject(e) : port.drain(() => resolve()))));

describe('sketch simulator', () => {
  it('prints the reading line with CR LF at its cadence, with settable counts', async () => {
    let text = '';
    port.on('data', (d: Buffer) => (text += d.toString('latin1')));
    while ((text.match(/\r\n/g) ?? []).length < 3) await new Promise((r) => setTimeout(r, 20));
    const lines = text.split('\r\n').slice(1, -1); // the first may be cut by the open
    for (const l of lines) expect(l).toBe('Ardu_Temp1:100,Ardu_Temp2:200,Ardu_Press:300');
    sim.setAnalog({ pressureCounts: 1023 });
    while (!text.includes('Ardu_Press:1023\r\n')) await new Promise((r) => setTimeout(r, 20));
  });

  it('starts with the sketch outputs low and obeys a command, sending nothing back for it', async () => {
    expect([...sim.pins.entries()].sort((a, b) => a[0] - b[0])).toEqual([[3, false], [4, false], [5, false], [6, false], [7, false]]);
    const done = sim.nextCommand();
    await write('6:1&7:1');
    expect(await done).toBe('6:1&7:1');
    expect([sim.pins.get(6), sim.pins.get(7)]).toEqual([true, true]);
  });

  it('merges two commands sent within its read timeout, as the firmware would (pin 7 gets "16")', async () => {
    const done = sim.nextCommand();
    await write('6:1&7:1');
    await write('6:0');
    expect(await done).toBe('6:1&7:16:0');
    expect([sim.pins.get(6), sim.pins.get(7)]).toEqual([true, true]); // the "6:0" was lost
  });

  it('obeys any pin, as the firmware does (the whitelist lives in the driver)', async () => {
    const done = sim.nextCommand();
    await write('13:1');
    await done;
    expect(sim.pins.get(13)).toBe(true);
  });
});
