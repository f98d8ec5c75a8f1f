import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeOutputCommand, parseOutputCommandLikeSketch } from '../../src/codec/output-command.js';
import { ArduinoError } from '../../src/errors.js';

interface CommandVector { wire: string; levels: Record<string, boolean> }
const VECTORS = (JSON.parse(readFileSync(new URL('../vectors/lines.json', import.meta.url), 'utf8')) as { commands: CommandVector[] }).commands;
const RIG_PINS = new Set([6, 7, 5, 3, 4]);

function refusal(fn: () => unknown): ArduinoError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ArduinoError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('output command', () => {
  it.each(VECTORS)('encodes $wire', (v) => {
    expect(encodeOutputCommand(v.levels, RIG_PINS)).toBe(v.wire);
  });

  it.each(VECTORS)('the sketch parses $wire back to the levels', (v) => {
    const parsed = parseOutputCommandLikeSketch(v.wire);
    expect(Object.fromEntries(parsed.map(([p, val]) => [String(p), val !== 0]))).toEqual(v.levels);
  });

  it('refuses a pin outside the whitelist, naming it, before anything is encoded', () => {
    const e = refusal(() => encodeOutputCommand({ 6: true, 13: true }, RIG_PINS));
    expect(e.code).toBe('BB_ARDUINO_PIN_NOT_ALLOWED');
    expect(e.outcome).toBe('not_sent');
    expect(e.message).toMatch(/pin 13 is not an allowed output \(allowed: 3, 4, 5, 6, 7\)/);
  });

  it('refuses pin 0 and 1 (the serial line itself) unless whitelisted', () => {
    expect(refusal(() => encodeOutputCommand({ 0: false }, RIG_PINS)).code).toBe('BB_ARDUINO_PIN_NOT_ALLOWED');
  });

  const invalid: [string, Record<string, unknown>, RegExp][] = [
    ['no pin', {}, /at least one pin/],
    ['a non-numeric pin', { pump: true }, /pin "pump" is not an integer 0\.\.99/],
    ['a negative pin', { '-1': true }, /is not an integer 0\.\.99/],
    ['a numeric level', { 6: 1 }, /level of pin 6 must be true or false/],
  ];
  it.each(invalid)('refuses %s', (_what, levels, message) => {
    const e = refusal(() => encodeOutputCommand(levels as Record<number, boolean>, RIG_PINS));
    expect(e.code).toBe('BB_ARDUINO_COMMAND_INVALID');
    expect(e.message).toMatch(message);
  });

  it('refuses a command longer than the 30 bytes the sketch reads', () => {
    const pins = new Set([10, 11, 12, 13, 14, 15, 16, 17]);
    const levels = Object.fromEntries([...pins].map((p) => [p, true]));
    const e = refusal(() => encodeOutputCommand(levels, pins));
    expect(e.code).toBe('BB_ARDUINO_COMMAND_INVALID');
    expect(e.message).toMatch(/is 39 bytes; the sketch reads at most 30/);
    // 7 two-digit pins = 34 bytes: still too long; 6 fit (29 bytes).
    expect(encodeOutputCommand(Object.fromEntries([10, 11, 12, 13, 14, 15].map((p) => [p, false])), pins)).toHaveLength(29);
  });

  it('parses garbage like the firmware (atoi), so the simulator shows why the whitelist matters', () => {
    expect(parseOutputCommandLikeSketch('6:1&&7:x&13')).toEqual([[6, 1], [7, 0], [13, 0]]);
    // two commands merged in one read: "7:16:0" is pin 7, value 16 (high)
    expect(parseOutputCommandLikeSketch('6:1&7:16:0')).toEqual([[6, 1], [7, 16]]);
  });
});
