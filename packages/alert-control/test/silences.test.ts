import { describe, expect, it } from 'vitest';
import { decodeSilence, encodeSilence, silenceStatus, silencedBy } from '../src/silences.js';

const base = { id: 'maint-r3', matchers: ['rack="r3"', 'severity=~"warning|critical"'], startsAtMs: 1000, endsAtMs: 5000, createdBy: 'alice', comment: 'maintenance' };

describe('alert-control > silences', () => {
  it('encodes the documented JSON and decodes it back with parsed matchers', () => {
    const bytes = encodeSilence(base);
    expect(JSON.parse(bytes.toString('utf8'))).toEqual({ v: 1, id: 'maint-r3', matchers: ['rack="r3"', 'severity=~"warning|critical"'], starts_at_ms: 1000, ends_at_ms: 5000, created_by: 'alice', comment: 'maintenance' });
    const s = decodeSilence('maint-r3', bytes);
    expect(s).toMatchObject(base);
    expect(s.parsed.map((m) => m.op)).toEqual(['=', '=~']);
  });

  it('mutes while start ≤ now < end and every matcher holds', () => {
    const s = decodeSilence('maint-r3', encodeSilence(base));
    const r3 = { rack: 'r3', severity: 'critical' };
    expect(silencedBy([s], r3, 999)).toBeUndefined();
    expect(silencedBy([s], r3, 1000)?.id).toBe('maint-r3');
    expect(silencedBy([s], r3, 4999)?.id).toBe('maint-r3');
    expect(silencedBy([s], r3, 5000)).toBeUndefined();
    expect(silencedBy([s], { rack: 'r4', severity: 'critical' }, 2000)).toBeUndefined();
    expect(silencedBy([s], { rack: 'r3', severity: 'info' }, 2000)).toBeUndefined();
  });

  it('is pending before its start, active from its start to its end (exclusive), expired from its end', () => {
    expect([999, 1000, 4999, 5000, 9000].map((t) => silenceStatus(base, t))).toEqual(['pending', 'active', 'active', 'expired', 'expired']);
  });

  it.each([
    ['not JSON', '{', /not JSON/],
    ['no matcher', JSON.stringify({ v: 1, id: 'maint-r3', matchers: [], starts_at_ms: 1, ends_at_ms: 2, created_by: 'a' }), /matchers: give at least one matcher/],
    ['an end before its start', JSON.stringify({ v: 1, id: 'maint-r3', matchers: ['a=b'], starts_at_ms: 2, ends_at_ms: 2, created_by: 'a' }), /ends_at_ms: must be after starts_at_ms/],
    ['another id than its key', JSON.stringify({ v: 1, id: 'other', matchers: ['a=b'], starts_at_ms: 1, ends_at_ms: 2, created_by: 'a' }), /id other is not its key/],
    ['an unknown field', JSON.stringify({ v: 1, id: 'maint-r3', matchers: ['a=b'], starts_at_ms: 1, ends_at_ms: 2, created_by: 'a', until: 3 }), /\(record\): .*until/],
  ])('refuses %s with BB_ALERTER_SILENCE_INVALID naming the field', (_, text, message) => {
    expect(() => decodeSilence('maint-r3', Buffer.from(text))).toThrow(expect.objectContaining({ code: 'BB_ALERTER_SILENCE_INVALID', message: expect.stringMatching(message) }));
  });

  it('a bad matcher is BB_ALERTER_MATCHER_INVALID', () => {
    expect(() => decodeSilence('maint-r3', encodeSilence({ ...base, matchers: ['rack=~"("'] }))).toThrow(expect.objectContaining({ code: 'BB_ALERTER_MATCHER_INVALID' }));
  });
});
