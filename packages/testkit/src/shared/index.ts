/**
 * `@busbar/testkit/shared`: the test side of the servers shared by a whole Vitest run. The
 * integration project's global setup (`@busbar/testkit/global-setup`) starts Kafka, InfluxDB and
 * SMTP at most once each, on first use, and `provide`s the address of its control endpoint; these
 * helpers `inject` it and ask for the server a test needs:
 *
 * ```ts
 * const { brokers } = await sharedKafka();
 * const topics = uniqueTopics('historian-test', ['readings', 'deadLetter']); // this suite's own topics
 * const influx = await createBucket('historian-test');                        // this suite's own bucket
 * const sink = await smtpSink('oncall');                                      // this suite's own recipient
 * ```
 *
 * Isolation on a shared server is by name: unique topics and consumer groups, one bucket per
 * suite, one recipient per suite. A test that stops, restarts or kills a server starts a private
 * one with `startKafka()` / `startInflux()` instead.
 */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { TestkitError } from '../errors.js';
import type { SharedInflux, SharedKafka, SharedServersInfo, SharedSmtp, WireMail } from './protocol.js';

export type { SharedInflux, SharedKafka, SharedSmtp } from './protocol.js';

/** The provided control-endpoint address. @throws {TestkitError} `BB_TESTKIT_NO_SHARED_SERVERS` without the global setup. */
function controlUrl(): string {
  const info = inject('busbarTestkit') as SharedServersInfo | undefined;
  if (info === undefined) {
    throw new TestkitError('BB_TESTKIT_NO_SHARED_SERVERS', 'no shared test servers in this run: add "@busbar/testkit/global-setup" (packages/testkit/src/global-setup.ts) to the Vitest project\'s globalSetup, or start a private server with startKafka()/startInflux()/startSmtp()');
  }
  return info.controlUrl;
}

async function control<T>(method: 'GET' | 'POST', path: string): Promise<T> {
  const url = `${controlUrl()}${path}`;
  let res: Response;
  try {
    res = await fetch(url, { method });
  } catch (cause) {
    throw new TestkitError('BB_TESTKIT_NO_SHARED_SERVERS', `the shared-server control endpoint ${url} did not answer`, { cause, context: { url } });
  }
  const body = (await res.json()) as T | { error: string };
  if (!res.ok) {
    const message = typeof body === 'object' && body !== null && 'error' in body ? body.error : res.statusText;
    throw new TestkitError('BB_TESTKIT_START_FAILED', `shared server ${method} ${path}: ${message}`, { context: { url, status: res.status } });
  }
  return body as T;
}

/**
 * `<prefix>-<8 hex chars>`: a name no other suite of the run uses (topics, consumer groups,
 * client ids, buckets, instance ids).
 * @param prefix - what the name is for, e.g. the suite.
 */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/**
 * Topic names of one suite on the shared broker, `<prefix>.<run>.<segment>`, `run` being 8 random
 * hex characters (or the one given). `names` is a list of segments (each also the key) or a
 * record of key → segment: `uniqueTopics('t', { deadLetter: 'dead-letter' })`.
 * @param prefix - the suite, e.g. `historian-test`.
 * @param names - the topics' last name segments, as a list or keyed.
 * @param run - the run id to use. @default 8 random hex characters
 * @returns `{ [key]: name }`.
 */
export function uniqueTopics<const K extends string>(prefix: string, names: readonly K[] | Readonly<Record<K, string>>, run = randomBytes(4).toString('hex')): Record<K, string> {
  const entries: [string, string][] = Array.isArray(names) ? names.map((k: K) => [k, k]) : Object.entries(names as Record<K, string>);
  return Object.fromEntries(entries.map(([k, segment]) => [k, `${prefix}.${run}.${segment}`])) as Record<K, string>;
}

/**
 * The run's Kafka broker, started on the first call of the run (KRaft single node, topics
 * auto-created with 3 partitions). Use {@link uniqueTopics} and unique group ids on it.
 * @throws {TestkitError} `BB_TESTKIT_NO_SHARED_SERVERS` (no global setup) or `BB_TESTKIT_START_FAILED` (the broker did not start; the message says why).
 */
export function sharedKafka(): Promise<SharedKafka> {
  return control<SharedKafka>('POST', '/kafka');
}

/**
 * The run's InfluxDB server (url, org, orgId, operator token), started on the first call of the
 * run. A suite writes to its own bucket: see {@link createBucket}.
 * @throws {TestkitError} as {@link sharedKafka}.
 */
export function sharedInflux(): Promise<SharedInflux> {
  return control<SharedInflux>('POST', '/influx');
}

/** A bucket of its own on the shared InfluxDB, with everything a client needs to use it. */
export interface InfluxBucket extends SharedInflux {
  /** Bucket name. */
  readonly bucket: string;
  /** Bucket id (16 hex chars). */
  readonly bucketId: string;
}

/**
 * Creates a bucket (infinite retention) on the shared InfluxDB, named {@link uniqueName}(`prefix`).
 * @param prefix - what the bucket is for. @default 'test'
 * @throws {TestkitError} as {@link sharedKafka}; `BB_TESTKIT_START_FAILED` when InfluxDB refuses the bucket (its answer in the message).
 */
export async function createBucket(prefix = 'test'): Promise<InfluxBucket> {
  const influx = await sharedInflux();
  const bucket = uniqueName(prefix);
  const res = await fetch(`${influx.url}/api/v2/buckets`, {
    method: 'POST',
    headers: { authorization: `Token ${influx.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ orgID: influx.orgId, name: bucket, retentionRules: [] }),
  });
  const body = (await res.json()) as { id?: string; message?: string };
  if (!res.ok || body.id === undefined) {
    throw new TestkitError('BB_TESTKIT_START_FAILED', `InfluxDB refused bucket ${bucket}: ${res.status} ${body.message ?? ''}`, { context: { server: 'influx', bucket } });
  }
  return { ...influx, bucket, bucketId: body.id };
}

/** A received message, as a test sees it (the main fields of mailparser's `ParsedMail`). */
export interface SinkMail {
  /** `MAIL FROM` address. */
  readonly mailFrom: string;
  /** `RCPT TO` addresses. */
  readonly rcptTo: readonly string[];
  /** `Subject:` header. */
  readonly subject: string | undefined;
  /** `From:` header as text. */
  readonly from: string | undefined;
  /** `To:` header as text. */
  readonly to: string | undefined;
  /** `Date:` header. */
  readonly date: Date | undefined;
  /** Plain-text body. */
  readonly text: string | undefined;
  /** HTML body. */
  readonly html: string | undefined;
  /** Attachments. */
  readonly attachments: readonly { readonly filename: string | undefined; readonly contentType: string; readonly content: Buffer }[];
}

/** One suite's mailbox on the shared SMTP server: what was sent to its own {@link SmtpSink.address}. */
export interface SmtpSink extends SharedSmtp {
  /** This sink's recipient, `<prefix>-<8 hex>@busbar.test`: configure it as the `to` of what is tested. */
  readonly address: string;
  /** The messages received for {@link SmtpSink.address} so far, in arrival order. */
  messages(): Promise<SinkMail[]>;
  /**
   * Resolves with the first message for {@link SmtpSink.address} (already received or arriving
   * later, polled every 100 ms) for which `predicate` is true.
   * @param predicate - test on a message.
   * @param timeoutMs - how long to wait, ms. @default 10000
   * @throws {TestkitError} `BB_TESTKIT_START_TIMEOUT` when none arrived in time (the message lists the subjects seen).
   */
  waitFor(predicate: (mail: SinkMail) => boolean, timeoutMs?: number): Promise<SinkMail>;
}

function fromWire(m: WireMail): SinkMail {
  return {
    ...m,
    date: m.date === undefined ? undefined : new Date(m.date),
    attachments: m.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: Buffer.from(a.contentBase64, 'base64') })),
  };
}

/**
 * A mailbox of its own on the run's SMTP server (started on the first call of the run): mail to
 * any other recipient is not seen by it.
 * @param prefix - the local part's prefix. @default 'sink'
 * @throws {TestkitError} as {@link sharedKafka}.
 */
export async function smtpSink(prefix = 'sink'): Promise<SmtpSink> {
  const { host, port } = await control<SharedSmtp>('POST', '/smtp');
  const address = `${uniqueName(prefix)}@busbar.test`;
  const messages = async (): Promise<SinkMail[]> => (await control<WireMail[]>('GET', `/smtp/messages?to=${encodeURIComponent(address)}`)).map(fromWire);
  return {
    host,
    port,
    address,
    messages,
    async waitFor(predicate, timeoutMs = 10_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const seen = await messages();
        const found = seen.find(predicate);
        if (found !== undefined) return found;
        if (Date.now() >= end) {
          const subjects = seen.map((m) => JSON.stringify(m.subject ?? '')).join(', ') || 'none';
          throw new TestkitError('BB_TESTKIT_START_TIMEOUT', `SMTP sink ${address}: no matching message within ${timeoutMs} ms (subjects seen: ${subjects})`, { context: { server: 'smtp', timeoutMs } });
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}

/** Set by {@link runsAlone} while the test file is collected; read by `file-lock-setup.ts` before the file's first hook. */
const RUNS_ALONE = Symbol.for('busbar.testkit.runsAlone');

/**
 * Marks the calling integration test file as one that runs alone: the other integration files run
 * two at a time (vitest.config.ts), this one only while no other file runs (the run's file lock,
 * taken `exclusive` by `file-lock-setup.ts`). For files whose measurements or deadlines would not
 * hold next to another file on a 2-core machine: a process killed and its take-over timed, a rate
 * measured, an image built. Call it at the top level of the file.
 * @param reason - why the file runs alone (shown in the lock's wait messages).
 */
export function runsAlone(reason: string): void {
  (globalThis as Record<symbol, unknown>)[RUNS_ALONE] = reason;
}

/** The reason given to {@link runsAlone} in this test file, if any. */
export function runsAloneReason(): string | undefined {
  const r = (globalThis as Record<symbol, unknown>)[RUNS_ALONE];
  return typeof r === 'string' ? r : undefined;
}

/**
 * Takes the run's file lock for the test file `ticket` (`exclusive` after {@link runsAlone},
 * `shared` otherwise), waiting as long as other files keep it.
 * @param ticket - unique per test file of the run.
 * @param mode - `shared` or `exclusive`.
 * @throws {TestkitError} `BB_TESTKIT_NO_SHARED_SERVERS` (no global setup or no answer) or `BB_TESTKIT_START_FAILED` (a malformed request).
 */
export async function acquireFileLock(ticket: string, mode: 'shared' | 'exclusive'): Promise<void> {
  const q = `ticket=${encodeURIComponent(ticket)}&mode=${mode}`;
  while (!(await control<{ granted: boolean }>('POST', `/lock?${q}`)).granted) {
    // the endpoint answers not granted every 20 s: ask again, keeping the place in the queue
  }
}

/**
 * Gives the run's file lock of `ticket` back.
 * @param ticket - the ticket of {@link acquireFileLock}.
 * @throws {TestkitError} as {@link acquireFileLock}.
 */
export async function releaseFileLock(ticket: string): Promise<void> {
  await control<{ granted: boolean }>('POST', `/unlock?ticket=${encodeURIComponent(ticket)}`);
}
