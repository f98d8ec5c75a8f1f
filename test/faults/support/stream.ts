/**
 * Fault-suite support: a paced stream of synthetic readings onto a pipeline's readings topic, and
 * the count of what reached InfluxDB. Reading `n` is device `faults-<n mod devices>`, measurement
 * `faults`, field `voltage_v = n` (or `plan.voltage(n)`), timestamp `base + n` ms — every reading is a distinct InfluxDB
 * point, so a point written twice overwrites itself and the stored count is the distinct count.
 */
import type { ReadingInput } from '@busbar/avro';
import { readingSerde } from '@busbar/avro';
import type { PipelineEnv } from '../../support/pipeline.js';

/** Shape of one stream. */
export interface StreamPlan {
  /** Readings in all. */
  readonly total: number;
  /** Readings per produce request. */
  readonly perBatch: number;
  /** Pause between requests, ms. */
  readonly everyMs: number;
  /** Distinct device ids (keys). @default 10 */
  readonly devices?: number;
  /** `voltage_v` of reading `n`. @default n */
  readonly voltage?: (n: number) => number;
}

/** A running stream. */
export interface Stream {
  /** Timestamp of reading 0, ms since the epoch. */
  readonly baseMs: number;
  /** Readings acknowledged by Kafka so far. */
  sent(): number;
  /** Resolves when every reading was acknowledged. */
  readonly done: Promise<void>;
}

/** Starts streaming `plan.total` readings onto `env.topics.readings`. */
export function streamReadings(env: PipelineEnv, plan: StreamPlan): Stream {
  const baseMs = Date.now() - 30 * 60_000; // in the past, inside any `range(start: -1h)`
  const devices = plan.devices ?? 10;
  let sent = 0;
  const done = (async () => {
    for (let n = 0; n < plan.total; n += plan.perBatch) {
      const messages = [];
      for (let i = n; i < Math.min(n + plan.perBatch, plan.total); i++) {
        const device_id = `faults-${i % devices}`;
        const r: ReadingInput = { device_id, protocol: 'faults', channel: null, timestamp: new Date(baseMs + i), values: { voltage_v: plan.voltage ? plan.voltage(i) : i }, sequence: i };
        messages.push({ key: device_id, value: readingSerde.encode(r) });
      }
      await env.producer.send({ topic: env.topics.readings, messages });
      sent += messages.length;
      await new Promise((r) => setTimeout(r, plan.everyMs));
    }
  })();
  return { baseMs, sent: () => sent, done };
}

/** Distinct stream points stored in the pipeline's bucket. */
export async function storedPoints(env: PipelineEnv): Promise<number> {
  const rows = await env.influxQuery(`from(bucket: "${env.influx.bucket}") |> range(start: -2h) |> filter(fn: (r) => r._measurement == "faults" and r._field == "voltage_v") |> group() |> count()`);
  return rows.length === 0 ? 0 : Number(rows[0]!._value);
}

/** Distinct stream points stored in the pipeline's bucket, per device id. */
export async function storedPointsPerDevice(env: PipelineEnv): Promise<Map<string, number>> {
  const rows = await env.influxQuery(`from(bucket: "${env.influx.bucket}") |> range(start: -2h) |> filter(fn: (r) => r._measurement == "faults" and r._field == "voltage_v") |> group(columns: ["device"]) |> count()`);
  return new Map(rows.map((r) => [String(r.device), Number(r._value)]));
}

/** Polls `check` every 250 ms until it returns true; throws `what` after `timeoutMs`. */
export async function until(check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
