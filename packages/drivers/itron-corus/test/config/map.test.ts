import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_CORUS_MAP } from '../../src/config/example-map.js';
import { parseCorusMap } from '../../src/config/map.js';

const clone = (): typeof EXAMPLE_CORUS_MAP => JSON.parse(JSON.stringify(EXAMPLE_CORUS_MAP));

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
  ];
  for (const [name, mutate, text] of bad) {
    it(`${name} → BB_CORUS_CONFIG_INVALID naming "${text}"`, () => {
      const m = clone();
      mutate(m);
      expect(() => parseCorusMap(m)).toThrow(expect.objectContaining({ code: 'BB_CORUS_CONFIG_INVALID', message: expect.stringContaining(text) }));
    });
  }
});
