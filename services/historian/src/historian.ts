/**
 * The historian's composition: a consumer group on the readings topic; each batch is written to
 * InfluxDB and the offsets are committed only after InfluxDB acknowledged. While InfluxDB is down
 * the batch is retried with capped backoff (the group membership kept alive by heartbeats): lag
 * grows, nothing is lost; replayed points overwrite themselves.
 */
import { InfluxDB, setLogger } from '@influxdata/influxdb-client';
import type { Point } from '@influxdata/influxdb-client';
import type { Logger, Metrics } from '@busbar/core';
import { backoffDelayMs } from '@busbar/core';
import type { Reading } from '@busbar/avro';
import { deadLetterSerde, readingSerde } from '@busbar/avro';
import type { BatchControl, ConsumedRecord } from '@busbar/kafka';
import { DecodingConsumer, PRODUCER_OPTIONS, createKafka } from '@busbar/kafka';
import type { RunningService } from '@busbar/runtime';
import { sleep } from '@busbar/runtime';
import type { HistorianConfig } from './config.js';
import { readingToPoint } from './points.js';

/**
 * Starts the historian.
 *
 * @throws when Kafka cannot be reached at start.
 */
export async function startHistorian(config: HistorianConfig, deps: { logger: Logger; metrics: Metrics }): Promise<RunningService> {
  const { logger, metrics } = deps;
  // The client library logs every failed write on the console; the historian logs them itself (once per attempt, with the retry plan).
  setLogger({ error: (message, err) => logger.debug({ err: String(err ?? '') }, message), warn: (message, err) => logger.debug({ err: String(err ?? '') }, message) });
  const influx = new InfluxDB({ url: config.influx.url, token: config.influx.token, timeout: config.influx.timeoutMs });
  const m = {
    written: metrics.counter({ name: 'busbar_historian_points_written_total', help: 'Points acknowledged by InfluxDB.' }),
    skipped: metrics.counter({ name: 'busbar_historian_readings_skipped_total', help: 'Readings without any field (not writable to InfluxDB).' }),
    errors: metrics.counter({ name: 'busbar_historian_write_errors_total', help: 'Failed InfluxDB write attempts (each is retried).', labelNames: ['status'] }),
    writeSeconds: metrics.histogram({ name: 'busbar_historian_write_seconds', help: 'Duration of one successful InfluxDB write request.' }),
    latency: metrics.histogram({ name: 'busbar_historian_end_to_end_seconds', help: 'From the reading timestamp to InfluxDB acknowledgement.', buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300] }),
    influxUp: metrics.gauge({ name: 'busbar_historian_influx_up', help: '1 when the last InfluxDB write succeeded.' }),
  };
  let lastWriteOk = true;
  let lastError: string | undefined;

  /** Writes points in chunks; resolves when all were acknowledged; throws the first failure. */
  const writeOnce = async (points: Point[]): Promise<void> => {
    for (let i = 0; i < points.length; i += config.influx.batchLines) {
      const chunk = points.slice(i, i + config.influx.batchLines);
      const api = influx.getWriteApi(config.influx.org, config.influx.bucket, 'ms', { batchSize: chunk.length + 1, flushInterval: 0, maxRetries: 0, maxBufferLines: chunk.length + 1 });
      api.writePoints(chunk);
      const t0 = performance.now();
      await api.close();
      m.writeSeconds.observe(undefined, (performance.now() - t0) / 1000);
    }
  };

  const handle = async (records: ConsumedRecord<Reading>[], control: BatchControl): Promise<void> => {
    const points: Point[] = [];
    for (const r of records) {
      const p = readingToPoint(r.value);
      if (p) points.push(p);
      else m.skipped.inc();
    }
    if (points.length === 0) return;
    for (let attempt = 0; control.isRunning(); attempt++) {
      try {
        await writeOnce(points);
        const now = Date.now();
        for (const r of records) m.latency.observe(undefined, Math.max(0, now - r.value.timestamp.getTime()) / 1000);
        m.written.inc(undefined, points.length);
        if (!lastWriteOk) logger.info({ attempts: attempt + 1 }, 'InfluxDB writes succeed again');
        lastWriteOk = true;
        lastError = undefined;
        m.influxUp.set(undefined, 1);
        return;
      } catch (err) {
        const status = String((err as { statusCode?: number }).statusCode ?? 'network');
        m.errors.inc({ status });
        m.influxUp.set(undefined, 0);
        lastWriteOk = false;
        lastError = err instanceof Error ? err.message : String(err);
        // A 4xx other than 429 means InfluxDB refuses the data itself: retrying cannot help, and
        // blocking the partition forever would lose everything behind it. Such points are logged.
        if (/^4\d\d$/.test(status) && status !== '429' && status !== '401' && status !== '403' && status !== '404') {
          logger.error({ err: lastError, status, points: points.length }, 'InfluxDB refused the batch; skipped');
          return;
        }
        const delay = backoffDelayMs(attempt, { initialDelayMs: config.influx.retryInitialMs, maxDelayMs: config.influx.retryMaxMs });
        logger.warn({ err: lastError, status, retryInMs: delay, attempt }, 'InfluxDB write failed; will retry (offsets not committed)');
        // wait in slices, heartbeating so the group does not evict us
        const until = Date.now() + delay;
        while (control.isRunning() && Date.now() < until) {
          await sleep(Math.min(1000, until - Date.now()));
          await control.heartbeat().catch(() => undefined);
        }
      }
    }
  };

  const kafka = createKafka({ brokers: config.kafka.brokers, clientId: config.kafka.clientId ?? 'busbar-historian' }, logger);
  const producer = kafka.producer(PRODUCER_OPTIONS);
  await producer.connect();
  const consumer = new DecodingConsumer<Reading>({
    kafka,
    producer,
    groupId: config.groupId,
    topic: config.topics.readings,
    decoder: readingSerde,
    deadLetter: { topic: config.topics.deadLetter, encoder: deadLetterSerde },
    handle,
    logger,
    metrics,
  });
  await consumer.start();
  logger.info({ influx: config.influx.url, bucket: config.influx.bucket, topic: config.topics.readings }, 'historian running');
  return {
    health: () => ({ ok: true, details: { influx: lastWriteOk ? 'ok' : `failing: ${lastError ?? ''}` } }),
    stop: async () => {
      await consumer.stop();
      await producer.disconnect();
    },
  };
}
