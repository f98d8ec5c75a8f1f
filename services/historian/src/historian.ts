/**
 * The historian's composition: one consumer group on the readings, device-events, command-results
 * and alerts topics (docs/data-model.md: a measurement each, readings by record type); each batch is
 * written to InfluxDB and the offsets are committed only after InfluxDB acknowledged. While InfluxDB is down
 * the batch is retried with capped backoff (the group membership kept alive by heartbeats): lag
 * grows, nothing is lost; replayed points overwrite themselves. A point InfluxDB refuses (400/413) is
 * isolated by splitting the request, dropped and counted (`busbar_historian_dropped_total{reason}`)
 * without taking the rest of the batch with it; a partial write (422) counts as written.
 *
 * Pipeline (issue 15): `pipeline.partitionsConcurrently` partitions are handled at the same time
 * (while one partition's write waits for InfluxDB, the next batch is decoded and written), each
 * partition's batches in order and committed only after InfluxDB acknowledged every point of the
 * batch; the line-protocol bytes of batches in progress are bounded by `pipeline.inFlightBytes`
 * ({@link ByteBudget}); lines are written directly (`line-protocol.ts`) and POSTed over one
 * keep-alive agent (`influx-writer.ts`), a batch's requests of `influx.batchLines` lines at once.
 *
 * Readiness (`/readyz`): Kafka consumer (member of its group, Kafka answering), producer, and
 * InfluxDB — asked at start with an empty write (`influx-check.ts`) and again every
 * `influx.checkIntervalMs`, and updated by every write. A refusal retrying cannot cure (401 bad
 * token, 404 unknown org or bucket) is logged once as an error with its code
 * (`BB_HISTORIAN_INFLUX_UNAUTHORIZED`, `BB_HISTORIAN_INFLUX_NOT_FOUND`) and keeps the historian not
 * ready until it is fixed; the readings wait in Kafka meanwhile.
 */
import type { Logger, Metrics } from '@busbar/core';
import { BusbarError, backoffDelayMs, sleep } from '@busbar/core';
import type { Alert, CommandResult, DeviceEvent, Reading } from '@busbar/avro';
import { alertSerde, commandResultSerde, deadLetterSerde, deviceEventSerde, readingSerde } from '@busbar/avro';
import type { BatchControl, ConsumedRecord } from '@busbar/kafka';
import { DecodingConsumer, PRODUCER_OPTIONS, createKafka, healingProducer, retryKafkaStartup, watchProducer } from '@busbar/kafka';
import type { RunningService } from '@busbar/runtime';
import type { HistorianConfig } from './config.js';
import type { MappedPoint } from './points.js';
import { readingToPoint } from './points.js';
import { checkInflux, influxStatusOf, logInfluxStatus } from './influx-check.js';
import type { InfluxStatus } from './influx-check.js';
import { ByteBudget } from './budget.js';
import type { BudgetTicket } from './budget.js';
import { InfluxWriter } from './influx-writer.js';
import { LineChunker } from './line-buffer.js';
import type { LineChunk } from './line-buffer.js';
import { alertToPoint, commandResultToPoint, deviceEventToPoint } from './records.js';

/** A record of one of the historian's topics. */
type HistorianRecord = Reading | DeviceEvent | CommandResult | Alert;

/** The HTTP status of an InfluxDB client error as text, or `network`. */
function statusOf(err: unknown): string {
  return String((err as { statusCode?: number }).statusCode ?? 'network');
}

/**
 * Starts the historian.
 *
 * @throws when Kafka cannot be reached at start.
 */
export async function startHistorian(config: HistorianConfig, deps: { logger: Logger; metrics: Metrics }): Promise<RunningService> {
  const { logger, metrics } = deps;
  const m = {
    written: metrics.counter({ name: 'busbar_historian_points_written_total', help: 'Points acknowledged by InfluxDB.' }),
    dropped: metrics.counter({ name: 'busbar_historian_dropped_total', help: 'Parts of records (readings, events, command results, alerts) left out of InfluxDB, or points it refused, by reason.', labelNames: ['reason'] }),
    errors: metrics.counter({ name: 'busbar_historian_write_errors_total', help: 'Failed InfluxDB write attempts (each is retried).', labelNames: ['status'] }),
    writeSeconds: metrics.histogram({ name: 'busbar_historian_write_seconds', help: 'Duration of one successful InfluxDB write request.' }),
    latency: metrics.histogram({ name: 'busbar_historian_end_to_end_seconds', help: 'From the reading timestamp to InfluxDB acknowledgement.', buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300] }),
    influxUp: metrics.gauge({ name: 'busbar_historian_influx_up', help: '1 when the last InfluxDB write succeeded.' }),
    inFlightBytes: metrics.gauge({ name: 'busbar_historian_in_flight_bytes', help: 'Line-protocol bytes built and not yet acknowledged by InfluxDB (bounded by pipeline.inFlightBytes).' }),
    budgetWaits: metrics.counter({ name: 'busbar_historian_budget_waits_total', help: 'Batches that waited for the in-flight byte budget (pipeline.inFlightBytes) before being written.' }),
  };
  let lastWriteOk = true;
  let lastError: string | undefined;
  const target = { url: config.influx.url, org: config.influx.org, bucket: config.influx.bucket, token: config.influx.token, timeoutMs: config.influx.timeoutMs };
  let influxStatus: InfluxStatus | undefined;
  const setInflux = (now: InfluxStatus): void => {
    logInfluxStatus(logger, influxStatus, now);
    influxStatus = now;
  };
  // before anything is consumed: a bad token or an unknown bucket is named at start
  setInflux(await checkInflux(target));
  let checking = false;
  const checkTimer = setInterval(() => {
    if (checking) return;
    checking = true;
    void checkInflux(target).then(setInflux).finally(() => (checking = false));
  }, config.influx.checkIntervalMs);
  checkTimer.unref();

  const writer = new InfluxWriter({ url: config.influx.url, org: config.influx.org, bucket: config.influx.bucket, token: config.influx.token, timeoutMs: config.influx.timeoutMs, gzipLevel: config.influx.gzipLevel, maxSockets: config.pipeline.partitionsConcurrently * 2 });
  const budget = new ByteBudget(config.pipeline.inFlightBytes);

  /** One write request; resolves when InfluxDB acknowledged it (204, or 422: a partial write whose refused points are reported). */
  const writeRequest = async (lines: LineChunk): Promise<void> => {
    const t0 = performance.now();
    try {
      await writer.write(lines.bytes);
    } catch (err) {
      if (statusOf(err) !== '422') throw err;
      // partial write: InfluxDB stored the valid points and names the others (e.g. a field type conflict)
      m.dropped.inc({ reason: 'partial_write' });
      logger.error({ err: (err as Error).message, points: lines.count }, 'InfluxDB stored a batch partially (422); the refused points are named in the message');
    }
    m.writeSeconds.observe(undefined, (performance.now() - t0) / 1000);
  };

  /**
   * Writes `lines`; a request InfluxDB refuses as malformed (400) or too large (413) is split in
   * halves until the refused points are isolated: those are dropped and counted, the rest is written.
   * Any other failure is thrown (and retried by the caller).
   */
  const writeIsolating = async (lines: LineChunk): Promise<number> => {
    try {
      await writeRequest(lines);
      return lines.count;
    } catch (err) {
      const status = statusOf(err);
      if (status !== '400' && status !== '413') throw err;
      if (lines.count === 1) {
        m.dropped.inc({ reason: status === '400' ? 'refused' : 'too_large' });
        logger.error({ err: (err as Error).message, status, line: lines.line(0).slice(0, 300) }, 'InfluxDB refused a point; dropped');
        return 0;
      }
      const half = Math.ceil(lines.count / 2);
      return (await writeIsolating(lines.slice(0, half))) + (await writeIsolating(lines.slice(half, lines.count)));
    }
  };

  /**
   * Takes `bytes` of the in-flight budget, heartbeating while it waits (other partitions' writes
   * hold it); gives up (not committed) when the consumer stops or loses the partition meanwhile.
   */
  const takeBudget = async (bytes: number, control: BatchControl): Promise<BudgetTicket> => {
    const ticket = budget.acquire(bytes);
    let waited = false;
    while (!ticket.isGranted()) {
      if (!waited) m.budgetWaits.inc();
      waited = true;
      if (!control.isRunning()) {
        ticket.cancel();
        throw new BusbarError('BB_HISTORIAN_ABANDONED', 'stopping while waiting for the in-flight budget; batch not committed, it will be replayed', { retriable: true });
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([ticket.granted, new Promise((r) => (timer = setTimeout(r, 1000)))]);
      clearTimeout(timer);
      if (ticket.isGranted()) break;
      try {
        await control.heartbeat();
      } catch (cause) {
        ticket.cancel();
        throw new BusbarError('BB_HISTORIAN_ABANDONED', `heartbeat failed while waiting for the in-flight budget (${(cause as Error).message}); batch not committed, it will be replayed`, { cause, retriable: true });
      }
    }
    m.inFlightBytes.set(undefined, budget.inUse);
    return ticket;
  };

  /** The point of a record, by its topic. */
  const toPoint = (r: ConsumedRecord<HistorianRecord>): MappedPoint => {
    if (r.topic === config.topics.deviceEvents) return deviceEventToPoint(r.value as DeviceEvent);
    if (r.topic === config.topics.commandResults) return commandResultToPoint(r.value as CommandResult);
    if (r.topic === config.topics.alerts) return alertToPoint(r.value as Alert);
    return readingToPoint(r.value as Reading);
  };

  const handle = async (records: ConsumedRecord<HistorianRecord>[], control: BatchControl): Promise<void> => {
    const lines = new LineChunker(config.influx.batchLines);
    for (const r of records) {
      const { point, problems } = toPoint(r);
      for (const pr of problems) {
        m.dropped.inc({ reason: pr.problem });
        logger.warn({ topic: r.topic, device: r.value.device_id, timestamp: r.value.timestamp.getTime(), name: pr.name, problem: pr.problem }, 'part of a record left out of InfluxDB');
      }
      const line = point?.toLineProtocol();
      if (line !== undefined) lines.append(line);
    }
    const bytes = lines.bytes;
    const chunks = lines.finish();
    if (chunks.length === 0) return;
    const ticket = await takeBudget(bytes, control);
    try {
      await writeAcknowledged(records, chunks, control);
    } finally {
      ticket.cancel();
      m.inFlightBytes.set(undefined, budget.inUse);
    }
  };

  /** Writes a batch's chunks (at the same time) until InfluxDB acknowledged all of them; retries with backoff, heartbeating. */
  const writeAcknowledged = async (records: ConsumedRecord<HistorianRecord>[], chunks: readonly LineChunk[], control: BatchControl): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      if (!control.isRunning()) throw new BusbarError('BB_HISTORIAN_ABANDONED', 'stopping before InfluxDB acknowledged the batch; not committed, it will be replayed', { retriable: true });
      try {
        // every request settles before a retry, so that a retry never overlaps a request still in flight
        const settled = await Promise.allSettled(chunks.map((c) => writeIsolating(c)));
        const failed = settled.find((x) => x.status === 'rejected');
        if (failed !== undefined) throw failed.reason;
        const written = settled.reduce((a, x) => a + (x.status === 'fulfilled' ? x.value : 0), 0);
        const now = Date.now();
        for (const r of records) if (r.topic === config.topics.readings) m.latency.observe(undefined, Math.max(0, now - r.value.timestamp.getTime()) / 1000);
        m.written.inc(undefined, written);
        if (!lastWriteOk) logger.info({ attempts: attempt + 1 }, 'InfluxDB writes succeed again');
        lastWriteOk = true;
        lastError = undefined;
        setInflux({ ok: true, permanent: false });
        m.influxUp.set(undefined, 1);
        return;
      } catch (err) {
        const status = statusOf(err);
        m.errors.inc({ status });
        m.influxUp.set(undefined, 0);
        lastWriteOk = false;
        lastError = err instanceof Error ? err.message : String(err);
        setInflux(influxStatusOf(target, status === 'network' ? undefined : Number(status), lastError));
        const delay = backoffDelayMs(attempt, { initialDelayMs: config.influx.retryInitialMs, maxDelayMs: config.influx.retryMaxMs });
        logger.warn({ err: lastError, status, retryInMs: delay, attempt }, 'InfluxDB write failed; will retry (offsets not committed)');
        // wait in slices, heartbeating so the group does not evict us; a failed heartbeat means a
        // rebalance took the partition away: give the batch up (not committed) and let kafkajs rejoin
        const until = Date.now() + delay;
        while (control.isRunning() && Date.now() < until) {
          await sleep(Math.min(1000, until - Date.now()));
          try {
            await control.heartbeat();
          } catch (cause) {
            throw new BusbarError('BB_HISTORIAN_ABANDONED', `heartbeat failed while waiting for InfluxDB (${(cause as Error).message}); batch not committed, it will be replayed`, { cause, retriable: true });
          }
        }
      }
    }
  };

  const kafka = createKafka({ ...config.kafka, clientId: config.kafka.clientId ?? 'busbar-historian' }, logger, metrics);
  const producer = healingProducer(() => kafka.producer(PRODUCER_OPTIONS), { name: 'dead-letters', logger, metrics });
  const producerCheck = watchProducer(producer);
  await retryKafkaStartup('producer connect', () => producer.connect(), { logger: logger });
  const consumer = new DecodingConsumer<HistorianRecord>({
    kafka,
    producer,
    groupId: config.groupId,
    topic: config.topics.readings,
    decoder: readingSerde,
    moreTopics: [
      { topic: config.topics.deviceEvents, decoder: deviceEventSerde },
      { topic: config.topics.commandResults, decoder: commandResultSerde },
      { topic: config.topics.alerts, decoder: alertSerde },
    ],
    deadLetter: { topic: config.topics.deadLetter, encoder: deadLetterSerde },
    handle,
    partitionsConcurrently: config.pipeline.partitionsConcurrently,
    logger,
    metrics,
  });
  await consumer.start();
  logger.info({ influx: config.influx.url, bucket: config.influx.bucket, topics: [config.topics.readings, config.topics.deviceEvents, config.topics.commandResults, config.topics.alerts] }, 'historian running');
  return {
    health: () => ({ ok: true, details: { influx: lastWriteOk ? 'ok' : `failing: ${lastError ?? ''}` } }),
    ready: () => ({
      kafka_consumer: consumer.readiness(),
      kafka_producer: producerCheck(),
      influxdb: influxStatus?.ok === true ? { ok: true } : { ok: false, reason: influxStatus?.reason ?? 'not checked yet', ...(influxStatus?.code !== undefined ? { code: influxStatus.code } : {}) },
    }),
    stop: async () => {
      clearInterval(checkTimer);
      await consumer.stop();
      await producer.disconnect();
      writer.close();
    },
  };
}
