/** The Corus device schema: the device clock model (zone, gas day) and the backfill's gap cap. */
import { describe, expect, it } from 'vitest';
import { EXAMPLE_CORUS_MAP } from '@busbar/driver-itron-corus';
import { corusDevicesSchema } from '../src/device-config.js';

const base = { id: 'corus-1', connection: { kind: 'tcp', host: '127.0.0.1', port: 4001 }, map: EXAMPLE_CORUS_MAP };

describe('modules > corus > device config', () => {
  it('defaults: UTC clock, day start 00:00, 3 gap re-requests per pass', () => {
    const [d] = corusDevicesSchema.parse([base]);
    expect([d!.timeZone, d!.gasDayStart, d!.logs.maxGapRequestsPerPass]).toEqual(['UTC', '00:00', 3]);
  });
  it('takes a zone, a gas day and a cap', () => {
    const [d] = corusDevicesSchema.parse([{ ...base, timeZone: 'Europe/Paris', gasDayStart: '06:00', logs: { maxGapRequestsPerPass: 0 } }]);
    expect([d!.timeZone, d!.gasDayStart, d!.logs.maxGapRequestsPerPass]).toEqual(['Europe/Paris', '06:00', 0]);
  });
  it.each([
    [{ gasDayStart: '6:00' }, '0.gasDayStart'],
    [{ gasDayStart: '24:00' }, '0.gasDayStart'],
    [{ timeZone: 'Europe/Atlantis' }, '0.timeZone'],
    [{ logs: { maxGapRequestsPerPass: -1 } }, '0.logs.maxGapRequestsPerPass'],
  ])('refuses %j naming %s', (extra, path) => {
    const r = corusDevicesSchema.safeParse([{ ...base, ...extra }]);
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.'))).toContain(path);
  });

  it('takes every link option per device, and refuses an unknown key at any depth of link: (a typo is never ignored)', () => {
    const [d] = corusDevicesSchema.parse([{ ...base, link: { optionSelect: { z: '7' }, timeouts: { responseMs: 3000 }, wakeupBytes: 1000 } }]);
    expect(d!.link).toMatchObject({ optionSelect: { v: '0', z: '7', y: '6' }, timeouts: { responseMs: 3000, answerSettleMs: 50 }, wakeupBytes: 1000 });
    for (const [link, path] of [[{ wakeupByte: 3 }, '0.link'], [{ timeouts: { responseMS: 3000 } }, '0.link.timeouts'], [{ optionSelect: { x: '1' } }, '0.link.optionSelect']] as const) {
      const r = corusDevicesSchema.safeParse([{ ...base, link }]);
      expect(r.success, JSON.stringify(link)).toBe(false);
      expect(r.error?.issues.map((i) => i.path.join('.'))).toContain(path);
    }
  });
});
