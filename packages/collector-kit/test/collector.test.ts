/** The runtime's `--test` mode and its start, without Kafka: a job's sample is printed, a job that cannot prepare stops the start. */
import { describe, expect, it } from 'vitest';
import { BusbarError, noopLogger, noopMetrics } from '@busbar/core';
import { runTestMode, startCollector } from '../src/collector.js';
import { fakeModule, jobReading } from './fake-module.js';

const deps = { logger: noopLogger, metrics: noopMetrics };

describe('collector-kit > runTestMode', () => {
  it('prints the job\'s sample after the poll, on the same session, and closes it', async () => {
    const { module, sessions } = fakeModule((d) => ({ run: async () => undefined, sample: async (s, ctx) => [jobReading(d.id, s.n, ctx.nextSequence())] }));
    const lines: string[] = [];
    expect(await runTestMode(module, [{ id: 'd1', pollIntervalMs: 1000 }], deps, (l) => lines.push(l))).toBe(0);
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([expect.objectContaining({ device_id: 'd1', states: { source: 'job' }, values: { i: 1 }, sequence: 1 })]);
    expect(sessions.map((s) => s.closed)).toEqual([true]);
  });

  it('a sample that fails makes the device fail with its code', async () => {
    const { module } = fakeModule(() => ({ run: async () => undefined, sample: async () => Promise.reject(new BusbarError('BB_TEST_SAMPLE', 'cannot read the log')) }));
    const lines: string[] = [];
    expect(await runTestMode(module, [{ id: 'd1', pollIntervalMs: 1000 }], deps, (l) => lines.push(l))).toBe(1);
    expect(JSON.parse(lines[0]!)).toEqual({ device_id: 'd1', error: 'BB_TEST_SAMPLE', message: 'cannot read the log' });
  });
});

describe('collector-kit > startCollector', () => {
  it('a job that cannot prepare (a corrupt cursor) stops the start before Kafka is touched', async () => {
    const { module, sessions } = fakeModule(() => ({ run: async () => undefined, prepare: async () => Promise.reject(new BusbarError('BB_TEST_STATE', 'cursor file is not JSON')) }));
    const config = { kafka: { brokers: ['127.0.0.1:1'] }, topics: {} as never, instanceId: 't', maxCommandLifetimeMs: 60_000, devices: [{ id: 'd1', pollIntervalMs: 1000 }], buffer: { path: ':memory:', maxBytes: 1 << 20, maxAgeMs: 60_000, degradedAfterMs: 1000 } };
    await expect(startCollector(module, 'collector-fake', config, deps)).rejects.toMatchObject({ code: 'BB_TEST_STATE' });
    expect(sessions).toHaveLength(0);
  });
});
