import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_CORUS_MAP } from '../../src/config/example-map.js';
import { parseCorusMap } from '../../src/config/map.js';

const clone = (): typeof EXAMPLE_CORUS_MAP => JSON.parse(JSON.stringify(EXAMPLE_CORUS_MAP));
const interval = (m: ReturnType<typeof clone>): Record<string, unknown> => (m.logs as Record<string, Record<string, unknown>>).interval!;

describe('Config > corusMapSchema (README §7, §9.6)', () => {
  it('the example map is valid and examples/corus-example-map.json equals EXAMPLE_CORUS_MAP', () => {
    const json = JSON.parse(readFileSync(new URL('../../examples/corus-example-map.json', import.meta.url), 'utf8'));
    expect(json).toEqual(EXAMPLE_CORUS_MAP);
    const m = parseCorusMap(json);
    expect(m.mapId).toBe('b0040');
    expect(m.role('clock')?.id).toBe(106);
    expect(m.layout('interval', 52)).toHaveLength(22);
    expect(m.databaseId('interval')).toBe(0);
  });
  const bad: [string, (m: ReturnType<typeof clone>) => void, string][] = [
    ['unknown class', (m) => ((m.parameters[0] as { class: string }).class = 'Double'), 'parameters[0].class'],
    ['duplicate id', (m) => ((m.parameters[1] as { id: number }).id = 0), 'parameters[1].id: duplicate id 0'],
    ['id out of range', (m) => ((m.parameters[1] as { id: number }).id = 5000), 'parameters[1].id'],
    ['bad name', (m) => ((m.parameters[1] as { name: string }).name = 'Pulse Weight'), 'parameters[1].name: must be snake_case'],
    ['min above max', (m) => ((m.parameters[1] as { min: string }).min = '2000'), 'parameters[1].max: max 1000 is below min 2000'],
    ['layout length mismatch', (m) => ((m.logs as Record<string, { layouts: { recordLength: number }[] }>).interval!.layouts[0]!.recordLength = 51), 'logs.interval.layouts[0].recordLength: is 51 but the field classes add up to 52 bytes'],
    ['clock not a Date', (m) => ((m.parameters[6] as { class: string }).class = 'ULong'), 'parameters[6].class: the clock parameter must be of class Date'],
    ['unknown key', (m) => ((m as Record<string, unknown>).pulseWeigth = '0.1'), '(map)'],
    ['bad mapId', (m) => (m.mapId = 'FL_b0040'), 'mapId'],
    ['interval off the daily grid', (m) => (interval(m).intervalS = 7000), 'logs.interval.intervalS: 7000 s neither divides a day'],
    ['sequence field not in the layout', (m) => (interval(m).sequenceField = 'record_number'), 'logs.interval.sequenceField: "record_number" must be an integer field (Byte, Word, EWord, ULong, EULong) of every layout (layouts[0] lacks it)'],
    ['sequence field not an integer', (m) => (interval(m).sequenceField = 'end_date'), 'layouts[0] has it as Date'],
    ['summer-time flag with mask 0', (m) => (interval(m).summerTimeFlag = { field: 'status', mask: 0 }), 'logs.interval.summerTimeFlag.mask'],
  ];
  it('a daily log with a sequence field and a summer-time status bit is valid', () => {
    const m = clone();
    interval(m).summerTimeFlag = { field: 'status', mask: 0x08 };
    interval(m).sequenceField = 'record_duration';
    (m.logs as Record<string, unknown>).daily = { intervalS: 86_400, layouts: [{ recordLength: 52, fields: (interval(m).layouts as { fields: unknown }[])[0]!.fields }] };
    const parsed = parseCorusMap(m);
    expect(parsed.config.logs.interval?.summerTimeFlag).toEqual({ field: 'status', mask: 8 });
    expect(parsed.databaseId('daily')).toBe(2);
  });
  for (const [name, mutate, text] of bad) {
    it(`${name} → BB_CORUS_CONFIG_INVALID naming "${text}"`, () => {
      const m = clone();
      mutate(m);
      expect(() => parseCorusMap(m)).toThrow(expect.objectContaining({ code: 'BB_CORUS_CONFIG_INVALID', message: expect.stringContaining(text) }));
    });
  }
});
