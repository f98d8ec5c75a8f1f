import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '@busbar/core';
import type { Counter, Gauge, Histogram, Labels, MetricSpec, Metrics } from '@busbar/core';
import { Forwarder, RecordBuffer } from '../src/buffer.js';
import type { BufferedRecord } from '../src/buffer.js';

/** Metrics kept in memory: counters summed by name and labels, gauges' last values. */
class MemoryMetrics implements Metrics {
  readonly values = new Map<string, number>();
  private key(name: string, labels?: Labels): string {
    return labels && Object.keys(labels).length > 0 ? `${name}${JSON.stringify(labels)}` : name;
  }
  counter(spec: MetricSpec): Counter {
    return { inc: (l?: Labels, v = 1) => void this.values.set(this.key(spec.name, l), (this.values.get(this.key(spec.name, l)) ?? 0) + v) };
  }
  gauge(spec: MetricSpec): Gauge {
    return { set: (l: Labels | undefined, v: number) => void this.values.set(this.key(spec.name, l), v), inc: () => undefined };
  }
  histogram(): Histogram {
    return { observe: () => undefined };
  }
}

const rec = (i: number, topic = 'readings', key = `dev-${i % 3}`): BufferedRecord => ({ topic, key, value: Buffer.from(`value-${i}`) });
const tmpFile = (): string => join(mkdtempSync(join(tmpdir(), 'busbar-buffer-')), 'sub', 'buffer.sqlite');

describe('collector-kit > RecordBuffer', () => {
  it('gives records back in append order and forgets only what was acknowledged', () => {
    const b = new RecordBuffer({ path: ':memory:', maxBytes: 1 << 20, maxAgeMs: 3_600_000 });
    b.append([rec(1), rec(2, 'events')]);
    b.append([rec(3)]);
    const first = b.peek(2);
    expect(first.map((r) => [r.topic, r.key, r.value.toString()])).toEqual([['readings', 'dev-1', 'value-1'], ['events', 'dev-2', 'value-2']]);
    b.acknowledge(first);
    expect(b.size).toBe(1);
    expect(b.peek(10).map((r) => r.value.toString())).toEqual(['value-3']);
    expect(b.sizeBytes).toBe(Buffer.byteLength('dev-0') + Buffer.byteLength('value-3'));
    b.close();
  });

  it('keeps what it holds across a reopen of the same file (the folder is created)', () => {
    const path = tmpFile();
    const a = new RecordBuffer({ path, maxBytes: 1 << 20, maxAgeMs: 3_600_000 });
    a.append([rec(1), rec(2), rec(3)]);
    a.acknowledge(a.peek(1));
    a.close();
    const b = new RecordBuffer({ path, maxBytes: 1 << 20, maxAgeMs: 3_600_000 });
    expect(b.size).toBe(2);
    expect(b.peek(10).map((r) => r.value.toString())).toEqual(['value-2', 'value-3']);
    b.close();
  });

  it('drops the oldest records beyond the byte bound and counts them', () => {
    const metrics = new MemoryMetrics();
    const b = new RecordBuffer({ path: ':memory:', maxBytes: 100, maxAgeMs: 3_600_000, metrics });
    for (let i = 10; i < 30; i++) b.append([rec(i)]); // 13 bytes each (key 5 + value 8)
    expect(b.sizeBytes).toBeLessThanOrEqual(100);
    const kept = b.peek(100).map((r) => r.value.toString());
    expect(kept.at(-1)).toBe('value-29'); // the newest always stays
    const dropped = 20 - kept.length;
    expect(dropped).toBeGreaterThan(0);
    expect(kept[0]).toBe(`value-${10 + dropped}`); // exactly the oldest went
    expect(metrics.values.get('busbar_collector_buffer_dropped_total{"reason":"bytes"}')).toBe(dropped);
    expect(metrics.values.get('busbar_collector_buffer_records')).toBe(kept.length);
  });

  it('keeps its counts exact when a drop removed part of the batch being sent before Kafka acknowledged it', () => {
    const metrics = new MemoryMetrics();
    const b = new RecordBuffer({ path: ':memory:', maxBytes: 13 * 20, maxAgeMs: 3_600_000, metrics });
    for (let i = 10; i < 30; i++) b.append([rec(i)]); // exactly at the bound: 20 records of 13 bytes
    const inFlight = b.peek(5); // sent to Kafka, not yet acknowledged
    b.append([rec(30), rec(31)]); // crosses the bound: the oldest are dropped, the batch in flight among them
    const dropped = metrics.values.get('busbar_collector_buffer_dropped_total{"reason":"bytes"}') ?? 0;
    expect(dropped).toBeGreaterThan(0);
    b.acknowledge(inFlight); // Kafka acknowledged the batch: only what is still there is forgotten
    const rows = b.peek(100);
    expect(b.size).toBe(rows.length);
    expect(b.sizeBytes).toBe(rows.reduce((n, r) => n + Buffer.byteLength(r.key) + r.value.length, 0));
    expect(rows[0]!.value.toString()).toBe(`value-${10 + Math.max(5, dropped)}`);
  });

  it('drops records older than the age bound and reports the oldest age', () => {
    const clock = new ManualClock(1_000_000);
    const metrics = new MemoryMetrics();
    const b = new RecordBuffer({ path: ':memory:', maxBytes: 1 << 20, maxAgeMs: 60_000, clock, metrics });
    b.append([rec(1), rec(2)]);
    clock.advance(30_000);
    b.append([rec(3)]);
    expect(b.oldestAgeMs()).toBe(30_000);
    clock.advance(40_000); // the first two are now 70 s old
    b.append([rec(4)]);
    expect(b.peek(10).map((r) => r.value.toString())).toEqual(['value-3', 'value-4']);
    expect(metrics.values.get('busbar_collector_buffer_dropped_total{"reason":"age"}')).toBe(2);
  });

  it('refuses a file that is not a buffer with a specific error', () => {
    expect(() => new RecordBuffer({ path: tmpdir(), maxBytes: 1 << 20, maxAgeMs: 60_000 })).toThrow(expect.objectContaining({ code: 'BB_COLLECTOR_BUFFER_UNUSABLE' }));
  });
});

describe('collector-kit > Forwarder', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('forwards in append order, keeps everything while Kafka does not acknowledge, and resumes when it does', async () => {
    const buffer = new RecordBuffer({ path: ':memory:', maxBytes: 1 << 20, maxAgeMs: 3_600_000 });
    const metrics = new MemoryMetrics();
    const sent: string[] = [];
    let kafkaUp = false;
    const fwd = new Forwarder(buffer, async (records) => {
      if (!kafkaUp) throw new Error('broker not reachable');
      sent.push(...records.map((r) => r.value.toString()));
    }, { batchRecords: 3, retryInitialMs: 100, retryMaxMs: 400, metrics });
    fwd.start();
    for (let i = 0; i < 7; i++) {
      buffer.append([rec(i)]);
      fwd.notify();
    }
    await vi.advanceTimersByTimeAsync(5_000);
    expect(sent).toEqual([]);
    expect(buffer.size).toBe(7);
    expect(fwd.failingSinceMs).toBeDefined();
    expect(fwd.lastErrorMessage).toBe('broker not reachable');
    expect(metrics.values.get('busbar_collector_publish_errors_total{"topic":"readings"}')).toBeGreaterThan(3);
    kafkaUp = true;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sent).toEqual(['value-0', 'value-1', 'value-2', 'value-3', 'value-4', 'value-5', 'value-6']);
    expect(buffer.size).toBe(0);
    expect(fwd.failingSinceMs).toBeUndefined();
    buffer.append([rec(7)]);
    fwd.notify();
    await vi.advanceTimersByTimeAsync(10);
    expect(sent.at(-1)).toBe('value-7');
    await fwd.stop();
  });

  it('a stop sends what it can in its drain time and leaves the rest in the buffer', async () => {
    const buffer = new RecordBuffer({ path: ':memory:', maxBytes: 1 << 20, maxAgeMs: 3_600_000 });
    const fwd = new Forwarder(buffer, () => Promise.reject(new Error('down')), { retryInitialMs: 50, retryMaxMs: 50 });
    fwd.start();
    buffer.append([rec(1), rec(2)]);
    fwd.notify();
    const stopped = fwd.stop(200);
    await vi.advanceTimersByTimeAsync(1_000);
    await stopped;
    expect(buffer.size).toBe(2);
  });
});

describe('collector-kit > RecordBuffer > appendAcknowledged (background jobs advance their cursor on it)', () => {
  const settled = async (p: Promise<void>): Promise<string> => {
    let state = 'pending';
    p.then(() => (state = 'acknowledged'), (e: unknown) => (state = `rejected ${(e as { code?: string }).code}`));
    await new Promise((r) => setImmediate(r));
    return state;
  };

  it('resolves only once a batch including its last record was acknowledged', async () => {
    const b = new RecordBuffer({ path: ':memory:', maxBytes: 1 << 20, maxAgeMs: 3_600_000 });
    b.append([rec(1)]);
    const p = b.appendAcknowledged([rec(2), rec(3), rec(4)]);
    expect(await settled(p)).toBe('pending');
    b.acknowledge(b.peek(2)); // records 1 and 2: not all of them yet
    expect(await settled(p)).toBe('pending');
    b.acknowledge(b.peek(2)); // 3 and 4
    expect(await settled(p)).toBe('acknowledged');
    expect(b.size).toBe(0);
  });

  it('rejects with BB_COLLECTOR_NOT_ACKNOWLEDGED when its records are dropped at the byte bound, also by the append itself', async () => {
    const metrics = new MemoryMetrics();
    const b = new RecordBuffer({ path: ':memory:', maxBytes: 1_048_576, maxAgeMs: 3_600_000, metrics });
    const big = (i: number): BufferedRecord => ({ topic: 'readings', key: 'd', value: Buffer.alloc(400_000, i) });
    const older = b.appendAcknowledged([big(1)]);
    const newer = b.appendAcknowledged([big(2), big(3)]); // 1.2 MB: the oldest tenth (record 1) goes
    expect(await settled(older)).toBe('rejected BB_COLLECTOR_NOT_ACKNOWLEDGED');
    expect(await settled(newer)).toBe('pending');
    const tooBig = b.appendAcknowledged([big(4), big(5), big(6)]); // beyond the bound by itself
    expect(await settled(tooBig)).toBe('rejected BB_COLLECTOR_NOT_ACKNOWLEDGED');
    expect(await settled(newer)).toBe('rejected BB_COLLECTOR_NOT_ACKNOWLEDGED');
    expect(metrics.values.get('busbar_collector_buffer_dropped_total{"reason":"bytes"}')).toBeGreaterThanOrEqual(3);
  });

  it('rejects the callers still waiting when the buffer is closed; an empty list resolves at once', async () => {
    const b = new RecordBuffer({ path: ':memory:', maxBytes: 1 << 20, maxAgeMs: 3_600_000 });
    await expect(b.appendAcknowledged([])).resolves.toBeUndefined();
    const p = b.appendAcknowledged([rec(1)]);
    b.close();
    await expect(p).rejects.toMatchObject({ code: 'BB_COLLECTOR_NOT_ACKNOWLEDGED', message: expect.stringContaining('stopped') });
  });
});
