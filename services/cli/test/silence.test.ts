import { describe, expect, it } from 'vitest';
import { decodeSilence } from '@busbar/alert-control';
import { buildSilence, expiredSilence, parseDurationMs, silenceLine } from '../src/silence.js';
import { runCli } from '../src/program.js';
import { capture } from './support/capture.js';

const NOW = Date.parse('2026-12-03T18:00:00Z');
const base = { matcher: ['rack="r3"', 'severity=~"warning|critical"'], by: 'alice', comment: 'rack r3 maintenance' };

describe('cli > silence > buildSilence', () => {
  it('writes the record the alerter decodes: matchers as given, start now, end start + duration, the given id', () => {
    const { silence, value } = buildSilence({ ...base, duration: '2h', id: 'maint-r3' }, NOW);
    expect(decodeSilence('maint-r3', value)).toEqual(silence);
    expect(silence).toMatchObject({ id: 'maint-r3', matchers: base.matcher, startsAtMs: NOW, endsAtMs: NOW + 7_200_000, createdBy: 'alice', comment: 'rack r3 maintenance' });
    expect(JSON.parse(value.toString('utf8'))).toEqual({ v: 1, id: 'maint-r3', matchers: base.matcher, starts_at_ms: NOW, ends_at_ms: NOW + 7_200_000, created_by: 'alice', comment: 'rack r3 maintenance' });
  });

  it('takes --starts and --until (ISO 8601 with a zone); a new UUID as id by default', () => {
    const { silence } = buildSilence({ ...base, starts: '2026-12-03T19:00+01:00', until: '2026-12-04T06:30:00.5Z' }, NOW);
    expect(silence.startsAtMs).toBe(NOW);
    expect(silence.endsAtMs).toBe(Date.parse('2026-12-04T06:30:00.500Z'));
    expect(silence.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(buildSilence({ ...base, starts: '2026-12-04T00:00Z', duration: '1h30m' }, NOW).silence).toMatchObject({ startsAtMs: Date.parse('2026-12-04T00:00Z'), endsAtMs: Date.parse('2026-12-04T01:30Z') });
  });

  it.each([
    ['a bad matcher (quoted in the message)', { ...base, matcher: ['rack="r3"', 'rack=~"("'], duration: '1h' }, /^--matcher: matcher "rack=~\\"\(\\"": regular expression does not compile/],
    ['a matcher without an operator', { ...base, matcher: ['rack'], duration: '1h' }, /^--matcher: matcher "rack": expected label_name/],
    ['no matcher', { ...base, matcher: [], duration: '1h' }, /^--matcher: give at least one/],
    ['neither --duration nor --until', { ...base }, /give one of --duration .* or --until/],
    ['both --duration and --until', { ...base, duration: '1h', until: '2026-12-04T00:00Z' }, /give one of --duration .* or --until/],
    ['a bad --duration', { ...base, duration: '2 hours' }, /^--duration 2 hours: expected a positive duration/],
    ['a --until without a zone', { ...base, until: '2026-12-04T00:00' }, /^--until 2026-12-04T00:00: expected an ISO 8601 date-time with a zone/],
    ['a --starts that is no date', { ...base, starts: 'tomorrow', duration: '1h' }, /^--starts tomorrow: expected an ISO 8601/],
    ['an end before the start', { ...base, starts: '2026-12-04T00:00Z', until: '2026-12-03T23:00Z' }, /^--until 2026-12-03T23:00Z: the end \(2026-12-03T23:00:00.000Z\) is not after the start \(2026-12-04T00:00:00.000Z\)/],
    ['an end already past', { ...base, starts: '2026-12-03T10:00Z', duration: '1h' }, /the end \(2026-12-03T11:00:00.000Z\) is already past/],
    ['a comment longer than the alerter takes', { ...base, duration: '1h', comment: 'x'.repeat(1025) }, /^the alerter would refuse this silence: silence .*: comment: /],
    ['an id longer than the alerter takes', { ...base, duration: '1h', id: 'i'.repeat(129) }, /^the alerter would refuse this silence: silence i+: id: /],
  ])('refuses %s with BB_CONFIG_INVALID naming it', (_, o, message) => {
    expect(() => buildSilence(o, NOW)).toThrow(expect.objectContaining({ code: 'BB_CONFIG_INVALID', message: expect.stringMatching(message) }));
  });
});

describe('cli > silence > parseDurationMs', () => {
  it.each([['30s', 30_000], ['90m', 5_400_000], ['2h', 7_200_000], ['1h30m', 5_400_000], ['1.5h', 5_400_000], ['1d', 86_400_000], ['1w', 604_800_000], ['250ms', 250]])('%s → %d ms', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it.each(['2 hours', '2h foo', '-1h', '30', '0s', '', 'h'])('refuses %j', (text) => {
    expect(() => parseDurationMs(text)).toThrow(expect.objectContaining({ code: 'BB_CONFIG_INVALID', message: expect.stringContaining(`--duration ${text}:`) }));
  });
});

describe('cli > silence > expiredSilence', () => {
  const s = buildSilence({ ...base, starts: '2026-12-03T17:00Z', duration: '2h', id: 'maint-r3' }, NOW).silence;

  it('an active silence ends now, the rest unchanged', () => {
    expect(decodeSilence('maint-r3', expiredSilence(s, NOW)!)).toEqual({ ...s, endsAtMs: NOW });
  });

  it('a pending one also starts 1 ms before now (an end must follow its start); an expired one is left alone', () => {
    const pending = buildSilence({ ...base, starts: '2026-12-04T00:00Z', duration: '2h', id: 'later' }, NOW).silence;
    expect(decodeSilence('later', expiredSilence(pending, NOW)!)).toMatchObject({ startsAtMs: NOW - 1, endsAtMs: NOW });
    expect(expiredSilence(s, s.endsAtMs)).toBeUndefined();
  });
});

describe('cli > silence > silenceLine', () => {
  it('prints id, status, matchers, ISO times, who and why', () => {
    const { silence } = buildSilence({ ...base, duration: '2h', id: 'maint-r3' }, NOW);
    expect(JSON.parse(silenceLine(silence, NOW + 1))).toEqual({ id: 'maint-r3', status: 'active', matchers: base.matcher, starts_at: '2026-12-03T18:00:00.000Z', ends_at: '2026-12-03T20:00:00.000Z', created_by: 'alice', comment: 'rack r3 maintenance' });
    expect(JSON.parse(silenceLine(silence, NOW - 1)).status).toBe('pending');
  });
});

describe('cli > busbar silence (arguments)', () => {
  it.each([[['silence', 'add', '--help']], [['silence', 'list', '--help']], [['silence', 'expire', '--help']]])('%j prints help and exits 0', async (argv) => {
    const io = capture();
    expect(await runCli(argv, io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/^Usage: busbar silence/);
  });

  it('a bad matcher exits 2 before any broker is asked (none is given)', async () => {
    const io = capture();
    expect(await runCli(['silence', 'add', '--matcher', 'rack="r3', '--duration', '1h', '--by', 'alice', '--comment', 'x'], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain('busbar: --matcher: matcher "rack=\\"r3": unterminated quoted value');
  });

  it('--by and --comment are required; expire needs an id', async () => {
    const io = capture();
    expect(await runCli(['silence', 'add', '--matcher', 'rack="r3"', '--duration', '1h', '--comment', 'x'], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain("required option '--by <who>' not specified");
    const io2 = capture();
    expect(await runCli(['silence', 'add', '--matcher', 'rack="r3"', '--duration', '1h', '--by', 'alice'], io2)).toBe(2);
    expect(io2.stderr.join('\n')).toContain("required option '--comment <why>' not specified");
    const io3 = capture();
    expect(await runCli(['silence', 'expire'], io3)).toBe(2);
    expect(io3.stderr.join('\n')).toContain("missing required argument 'id'");
  });
});
