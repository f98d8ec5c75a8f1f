/** RequestQueue with a fake `run`: ordering with command priority, close semantics, metrics. No servers. */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '@busbar/core';
import type { Counter, Histogram, Labels, MetricSpec, Metrics } from '@busbar/core';
import { RequestQueue } from '../../src/client/request-queue.js';
import type { RequestPriority } from '../../src/client/request-queue.js';
import { MaccorError } from '../../src/errors.js';

interface FakeJob {
  readonly label: string;
}

/** Metrics that record every call, by metric name. */
function recordingMetrics(): Metrics & { specs: MetricSpec[]; incs: { name: string; labels: Labels | undefined }[]; observations: { name: string; labels: Labels | undefined; value: number }[] } {
  const specs: MetricSpec[] = [];
  const incs: { name: string; labels: Labels | undefined }[] = [];
  const observations: { name: string; labels: Labels | undefined; value: number }[] = [];
  return {
    specs,
    incs,
    observations,
    counter(spec): Counter {
      specs.push(spec);
      return { inc: (labels) => incs.push({ name: spec.name, labels }) };
    },
    gauge(spec) {
      specs.push(spec);
      return { set() {}, inc() {} };
    },
    histogram(spec): Histogram {
      specs.push(spec);
      return { observe: (labels, value) => observations.push({ name: spec.name, labels, value }) };
    },
  };
}

/** A fake transport: each `run` waits until the test settles it by hand; `abortInFlight` rejects the one in flight. */
function fakeTransport(): {
  started: string[];
  settle: (result: { ok: unknown } | { err: unknown }) => void;
  run: (job: FakeJob) => Promise<unknown>;
  abortInFlight: (err: MaccorError) => void;
  aborts: MaccorError[];
} {
  const started: string[] = [];
  const aborts: MaccorError[] = [];
  let current: { resolve: (r: unknown) => void; reject: (e: unknown) => void } | undefined;
  return {
    started,
    aborts,
    run: (job) =>
      new Promise((resolve, reject) => {
        started.push(job.label);
        current = { resolve, reject };
      }),
    settle: (result) => {
      const c = current;
      if (!c) throw new Error('nothing in flight');
      current = undefined;
      if ('ok' in result) c.resolve(result.ok);
      else c.reject(result.err);
    },
    abortInFlight: (err) => {
      aborts.push(err);
      const c = current;
      current = undefined;
      c?.reject(err);
    },
  };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('Client > RequestQueue > ordering', () => {
  it('runs one job at a time in FIFO order', async () => {
    const t = fakeTransport();
    const q = new RequestQueue<FakeJob>({ transport: 'json', run: t.run, abortInFlight: t.abortInFlight });
    const results = [q.enqueue<string>({ label: 'a' }), q.enqueue<string>({ label: 'b' }), q.enqueue<string>({ label: 'c' })];
    await tick();
    expect(t.started).toEqual(['a']);
    t.settle({ ok: 'A' });
    await tick();
    expect(t.started).toEqual(['a', 'b']);
    t.settle({ ok: 'B' });
    await tick();
    t.settle({ ok: 'C' });
    expect(await Promise.all(results)).toEqual(['A', 'B', 'C']);
  });

  it('commands jump ahead of queued polls, stay FIFO among themselves, never overtake the job in flight', async () => {
    const t = fakeTransport();
    const q = new RequestQueue<FakeJob>({ transport: 'json', run: t.run, abortInFlight: t.abortInFlight });
    const order: [string, RequestPriority][] = [
      ['poll1', 'poll'],
      ['poll2', 'poll'],
      ['cmd1', 'command'],
      ['poll3', 'poll'],
      ['cmd2', 'command'],
    ];
    const done = order.map(([label, priority]) => q.enqueue({ label }, priority));
    await tick();
    for (let i = 0; i < order.length; i++) {
      t.settle({ ok: i });
      await tick();
    }
    await Promise.all(done);
    // poll1 was already in flight when the commands arrived.
    expect(t.started).toEqual(['poll1', 'cmd1', 'cmd2', 'poll2', 'poll3']);
  });

  it('the default priority is poll (last in line)', async () => {
    const t = fakeTransport();
    const q = new RequestQueue<FakeJob>({ transport: 'json', run: t.run, abortInFlight: t.abortInFlight });
    const done = [q.enqueue({ label: 'first' }), q.enqueue({ label: 'cmd' }, 'command'), q.enqueue({ label: 'default' })];
    await tick();
    for (let i = 0; i < 3; i++) {
      t.settle({ ok: i });
      await tick();
    }
    await Promise.all(done);
    expect(t.started).toEqual(['first', 'cmd', 'default']);
  });

  it('a job whose run throws fails alone; the next job still runs', async () => {
    const t = fakeTransport();
    const q = new RequestQueue<FakeJob>({ transport: 'json', run: t.run, abortInFlight: t.abortInFlight });
    const failing = q.enqueue({ label: 'bad' });
    const next = q.enqueue<string>({ label: 'good' });
    await tick();
    t.settle({ err: new MaccorError('BB_MACCOR_TIMEOUT', 'no reply', { retriable: true }) });
    await expect(failing).rejects.toMatchObject({ code: 'BB_MACCOR_TIMEOUT' });
    await tick();
    t.settle({ ok: 'fine' });
    expect(await next).toBe('fine');
  });
});

describe('Client > RequestQueue > close', () => {
  it('fails queued and in-flight jobs with BB_MACCOR_CLIENT_CLOSED, and later enqueues at once', async () => {
    const t = fakeTransport();
    const q = new RequestQueue<FakeJob>({ transport: 'binary', run: t.run, abortInFlight: t.abortInFlight });
    const inflight = q.enqueue({ label: 'inflight' });
    const queued = [q.enqueue({ label: 'q1' }), q.enqueue({ label: 'q2' }, 'command')];
    await tick();
    expect(t.started).toEqual(['inflight']);
    expect(q.closed).toBe(false);
    q.close();
    expect(q.closed).toBe(true);
    expect(t.aborts).toHaveLength(1);
    expect(t.aborts[0]).toBeInstanceOf(MaccorError);
    expect(t.aborts[0]?.code).toBe('BB_MACCOR_CLIENT_CLOSED');
    await expect(inflight).rejects.toMatchObject({ code: 'BB_MACCOR_CLIENT_CLOSED' });
    for (const p of queued) await expect(p).rejects.toMatchObject({ code: 'BB_MACCOR_CLIENT_CLOSED', message: 'the MacNet client was closed' });
    await expect(q.enqueue({ label: 'late' })).rejects.toMatchObject({ code: 'BB_MACCOR_CLIENT_CLOSED', message: 'the MacNet client is closed' });
    await tick();
    // Queued jobs never reached the transport.
    expect(t.started).toEqual(['inflight']);
  });

  it('calls abortInFlight even when idle (the transport ignores it) and rejects nothing else', async () => {
    const t = fakeTransport();
    const q = new RequestQueue<FakeJob>({ transport: 'binary-udp', run: t.run, abortInFlight: t.abortInFlight });
    q.close();
    expect(t.aborts.map((e) => e.code)).toEqual(['BB_MACCOR_CLIENT_CLOSED']);
    expect(t.started).toEqual([]);
  });
});

describe('Client > RequestQueue > metrics', () => {
  it('declares busbar_maccor_requests_total and busbar_maccor_request_duration_seconds with their labels', () => {
    const m = recordingMetrics();
    const t = fakeTransport();
    new RequestQueue<FakeJob>({ transport: 'json', run: t.run, abortInFlight: t.abortInFlight, metrics: m });
    expect(m.specs.map((s) => [s.name, s.labelNames])).toEqual([
      ['busbar_maccor_requests_total', ['transport', 'function', 'outcome']],
      ['busbar_maccor_request_duration_seconds', ['transport']],
    ]);
  });

  it('counts each job once with transport, function and outcome (ok or error code) and observes its duration in seconds', async () => {
    const m = recordingMetrics();
    const clock = new ManualClock(1_000_000);
    const t = fakeTransport();
    const q = new RequestQueue<FakeJob>({ transport: 'binary-udp', run: t.run, abortInFlight: t.abortInFlight, metrics: m, clock });
    const ok = q.enqueue({ label: '6,8' });
    const bad = q.enqueue({ label: '6,8' });
    const plain = q.enqueue({ label: 'GetChannelStatus' });
    const closed = q.enqueue({ label: 'GetChannelStatus' });
    await tick();
    clock.advance(250);
    t.settle({ ok: 1 });
    await ok;
    await tick();
    clock.advance(1500);
    t.settle({ err: new MaccorError('BB_MACCOR_UDP_NO_REPLY', 'no reply') });
    await expect(bad).rejects.toMatchObject({ code: 'BB_MACCOR_UDP_NO_REPLY' });
    await tick();
    t.settle({ err: new Error('not a Busbar error') });
    await expect(plain).rejects.toThrow('not a Busbar error');
    await tick();
    q.close();
    await expect(closed).rejects.toMatchObject({ code: 'BB_MACCOR_CLIENT_CLOSED' });
    await tick();
    expect(m.incs).toEqual([
      { name: 'busbar_maccor_requests_total', labels: { transport: 'binary-udp', function: '6,8', outcome: 'ok' } },
      { name: 'busbar_maccor_requests_total', labels: { transport: 'binary-udp', function: '6,8', outcome: 'BB_MACCOR_UDP_NO_REPLY' } },
      { name: 'busbar_maccor_requests_total', labels: { transport: 'binary-udp', function: 'GetChannelStatus', outcome: 'BB_CORE_UNEXPECTED' } },
      { name: 'busbar_maccor_requests_total', labels: { transport: 'binary-udp', function: 'GetChannelStatus', outcome: 'BB_MACCOR_CLIENT_CLOSED' } },
    ]);
    expect(m.observations).toEqual([
      { name: 'busbar_maccor_request_duration_seconds', labels: { transport: 'binary-udp' }, value: 0.25 },
      { name: 'busbar_maccor_request_duration_seconds', labels: { transport: 'binary-udp' }, value: 1.5 },
      { name: 'busbar_maccor_request_duration_seconds', labels: { transport: 'binary-udp' }, value: 0 },
      { name: 'busbar_maccor_request_duration_seconds', labels: { transport: 'binary-udp' }, value: 0 },
    ]);
  });

  it('queued jobs failed by close() are not counted (they never left the queue)', async () => {
    const m = recordingMetrics();
    const t = fakeTransport();
    const q = new RequestQueue<FakeJob>({ transport: 'json', run: t.run, abortInFlight: t.abortInFlight, metrics: m });
    const inflight = q.enqueue({ label: 'a' });
    const queued = q.enqueue({ label: 'b' });
    await tick();
    q.close();
    await expect(inflight).rejects.toMatchObject({ code: 'BB_MACCOR_CLIENT_CLOSED' });
    await expect(queued).rejects.toMatchObject({ code: 'BB_MACCOR_CLIENT_CLOSED' });
    await tick();
    expect(m.incs.map((i) => i.labels)).toEqual([{ transport: 'json', function: 'a', outcome: 'BB_MACCOR_CLIENT_CLOSED' }]);
  });
});
