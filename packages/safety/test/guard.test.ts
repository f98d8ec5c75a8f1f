import { describe, expect, it } from 'vitest';
import { ManualClock } from '@busbar/core';
import { CommandGuard, checkRange, requireParameter } from '../src/index.js';

describe('safety > CommandGuard', () => {
  it('admits an id once, refuses repeats, refuses expired and too long-lived commands', () => {
    const clock = new ManualClock(1_000_000);
    const guard = new CommandGuard({ clock, maxLifetimeMs: 60_000 });
    const cmd = { command_id: 'c1', expires_at: new Date(1_030_000) };
    expect(guard.admit(cmd)).toEqual({ admit: true });
    expect(guard.admit(cmd)).toEqual({ admit: false, why: 'DUPLICATE' });
    expect(guard.admit({ command_id: 'c2', expires_at: new Date(999_999) })).toEqual({ admit: false, why: 'EXPIRED' });
    expect(guard.admit({ command_id: 'c2', expires_at: new Date(1_010_000) })).toEqual({ admit: false, why: 'DUPLICATE' });
    expect(guard.admit({ command_id: 'c3', expires_at: new Date(1_000_000 + 3_600_000) })).toEqual({ admit: false, why: 'LIFETIME_TOO_LONG' });
  });

  it('gives a command that expired longer ago than the longest lifetime no verdict to publish (STALE)', () => {
    const clock = new ManualClock(10_000_000);
    const guard = new CommandGuard({ clock, maxLifetimeMs: 60_000 });
    expect(guard.admit({ command_id: 'old', expires_at: new Date(10_000_000 - 60_001) })).toEqual({ admit: false, why: 'STALE' });
    expect(guard.admit({ command_id: 'recent', expires_at: new Date(10_000_000 - 59_000) })).toEqual({ admit: false, why: 'EXPIRED' });
  });

  it('forgets ids once their command has expired, bounding memory', () => {
    const clock = new ManualClock(0);
    const guard = new CommandGuard({ clock, graceMs: 1000 });
    for (let i = 0; i < 100; i++) guard.admit({ command_id: `c${i}`, expires_at: new Date(10_000) });
    expect(guard.size).toBe(100);
    clock.advance(20_000);
    expect(guard.admit({ command_id: 'late', expires_at: new Date(5_000) })).toEqual({ admit: false, why: 'EXPIRED' });
    expect(guard.size).toBe(1);
  });
});

describe('safety > limits', () => {
  it('accepts values within the range and names the parameter and bound otherwise', () => {
    expect(checkRange('voltage_setpoint_v', 12, { min: 0, max: 60 })).toBe(12);
    expect(() => checkRange('voltage_setpoint_v', 61, { min: 0, max: 60 })).toThrow(expect.objectContaining({ code: 'BB_COMMAND_OUT_OF_RANGE', message: 'voltage_setpoint_v = 61 is outside the allowed range [0, 60]' }));
    expect(() => checkRange('voltage_setpoint_v', Number.NaN, { min: 0, max: 60 })).toThrow(expect.objectContaining({ code: 'BB_COMMAND_PARAMETER_INVALID' }));
    expect(() => checkRange('voltage_setpoint_v', '5', { min: 0, max: 60 })).toThrow(expect.objectContaining({ code: 'BB_COMMAND_PARAMETER_INVALID' }));
    expect(() => requireParameter({}, 'value')).toThrow(expect.objectContaining({ code: 'BB_COMMAND_PARAMETER_MISSING' }));
    expect(requireParameter({ value: 0 }, 'value')).toBe(0);
  });
});
