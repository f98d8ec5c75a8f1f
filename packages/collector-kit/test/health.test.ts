import { describe, expect, it } from 'vitest';
import { collectorReadiness } from '../src/health.js';

describe('collectorReadiness', () => {
  it('is ready when every session is connected and forwarding keeps up', () => {
    const checks = collectorReadiness(new Map([['psu-1', { connected: true }], ['psu-2', { connected: true, lastError: 'an old timeout' }]]), undefined);
    expect(checks).toEqual({ 'device:psu-1': { ok: true }, 'device:psu-2': { ok: true }, forwarding: { ok: true } });
  });

  it('names each device whose session is down, with its last error, and a device still connecting', () => {
    const checks = collectorReadiness(new Map([['psu-1', { connected: false, lastError: 'connect ECONNREFUSED 127.0.0.1:502' }], ['psu-2', { connected: false }], ['psu-3', { connected: true }]]), undefined);
    expect(checks['device:psu-1']).toEqual({ ok: false, reason: 'session down: connect ECONNREFUSED 127.0.0.1:502' });
    expect(checks['device:psu-2']).toEqual({ ok: false, reason: 'connecting' });
    expect(checks['device:psu-3']).toEqual({ ok: true });
    expect(checks.forwarding).toEqual({ ok: true });
  });

  it('fails the forwarding check with the reason when the buffer is behind', () => {
    const why = 'Kafka does not acknowledge (Connection error): 120 records buffered, the oldest 12.0 s old';
    const checks = collectorReadiness(new Map([['psu-1', { connected: true }]]), why);
    expect(checks.forwarding).toEqual({ ok: false, reason: why });
    expect(checks['device:psu-1']).toEqual({ ok: true });
  });

  it('has only the forwarding check for a collector without devices', () => {
    expect(collectorReadiness(new Map(), undefined)).toEqual({ forwarding: { ok: true } });
  });
});
