/**
 * The framing of Busbar's topic values, chosen per deployment, behind the serde interface:
 *
 * - `single-object` (default): Avro single-object encoding, `C3 01` + CRC-64-AVRO fingerprint +
 *   body (Avro specification 1.11, "Single-object encoding"); no registry needed;
 * - `confluent`: the Confluent wire format, `00` + 4-byte big-endian schema id + body (Confluent
 *   Schema Registry documentation, "Wire format"), with the id from a schema registry under the
 *   TopicNameStrategy subject `<topic>-value`.
 *
 * Encoders write the configured framing. Decoders read BOTH, told apart by the first byte (see
 * `detectFraming`), so producers can be migrated one at a time while consumers read mixed records.
 *
 * Registry use: an encoder learns its schema id once (`ready()`: set the subject's compatibility to
 * BACKWARD and register the current schema, or only look it up when registration is off), then
 * encodes synchronously. A decoder resolves the ids of a batch before decoding it (`prepare()`):
 * ids are cached for the life of the process (a registry never reuses an id for another schema);
 * an id the registry says does not exist is remembered for `missingIdTtlMs` and decodes as
 * `BB_AVRO_UNKNOWN_SCHEMA_ID` (a dead letter); an unreachable registry makes `prepare()` throw a
 * retriable `BB_AVRO_REGISTRY_UNREACHABLE`, so the consumer waits with the batch uncommitted.
 */
import type { Logger } from '@busbar/core';
import { backoffDelayMs, noopLogger, sleep } from '@busbar/core';
import { createAvroType } from './avro-type.js';
import type { WriterSchema } from './catalog.js';
import { fingerprint, type AvroSchemaJson } from './codec/canonical.js';
import { CONFLUENT_HEADER_LENGTH, decodeConfluentHeader, detectFraming, encodeConfluentHeader, type Framing } from './codec/confluent.js';
import { AvroDecodeError, RegistryError } from './errors.js';
import type { CompatibilityLevel, SchemaRegistryApi } from './registry/client.js';
import type { Serde } from './serde.js';

/** Options of {@link AvroFraming}. */
export interface AvroFramingOptions {
  /** What encoders write. @default 'single-object' */
  readonly framing?: Framing;
  /** The registry; required for `confluent`, and for decoding Confluent-framed records under either framing. */
  readonly registry?: SchemaRegistryApi;
  /** Register the current schemas at start (true) or only look them up (false: locked-down registries). @default true */
  readonly register?: boolean;
  /** Compatibility level set on each subject before registering (not in look-up-only mode). @default 'BACKWARD' */
  readonly compatibility?: CompatibilityLevel;
  /** How long an id the registry said does not exist is not asked again, ms. @default 30000 */
  readonly missingIdTtlMs?: number;
  /** How long `ready()` retries an unreachable registry before it rejects, ms. @default 30000 */
  readonly readyTimeoutMs?: number;
  /** Clock for the missing-id cache, ms since the epoch. @default Date.now */
  readonly now?: () => number;
  readonly logger?: Logger;
}

/** An encoder of one topic's values in the configured framing. */
export interface FramedEncoder<I> {
  /** The framing this encoder writes. */
  readonly framing: Framing;
  /** True once `encode` can run (always for single-object; after `ready()` resolved for confluent). */
  isReady(): boolean;
  /**
   * Learns the schema id (confluent; resolves at once for single-object). Retries an unreachable
   * registry for `readyTimeoutMs`; memoised on success, tried afresh after a failure.
   * @throws {RegistryError} `BB_AVRO_REGISTRY_UNREACHABLE` (after the retries), `BB_AVRO_SUBJECT_NOT_REGISTERED`
   *   (look-up only), `BB_AVRO_REGISTRY_INCOMPATIBLE`, `BB_AVRO_REGISTRY_REFUSED`.
   */
  ready(): Promise<void>;
  /**
   * The framed bytes of `value`.
   * @throws {AvroEncodeError} `BB_AVRO_INVALID_VALUE`; {@link RegistryError} `BB_AVRO_REGISTRY_UNREACHABLE`
   *   (retriable) when called before `ready()` resolved.
   */
  encode(value: I): Buffer;
}

/** A decoder of one record type that reads both framings. */
export interface FramedDecoder<T> {
  /**
   * Resolves the schema ids of the Confluent-framed payloads not known yet (other payloads are
   * ignored). Ids the registry says do not exist are remembered (their records decode as dead letters).
   * @throws {RegistryError} `BB_AVRO_REGISTRY_UNREACHABLE` (retriable: wait and call again),
   *   `BB_AVRO_REGISTRY_REFUSED` (e.g. 401: also a reason to wait, not to drop).
   */
  prepare(payloads: readonly (Uint8Array | null | undefined)[]): Promise<void>;
  /**
   * Decodes a payload of either framing.
   * @throws {AvroDecodeError} the single-object codes, `BB_AVRO_UNKNOWN_SCHEMA_ID`, `BB_AVRO_REGISTRY_NOT_CONFIGURED`,
   *   `BB_AVRO_WRONG_SCHEMA` (the id's schema is another record or cannot be read as this one);
   *   {@link RegistryError} `BB_AVRO_REGISTRY_UNREACHABLE` (retriable) for an id `prepare` did not resolve.
   */
  decode(buf: Uint8Array): T;
}

type IdEntry = { readonly writer: WriterSchema } | { readonly error: AvroDecodeError } | { readonly missingSince: number };

/**
 * The framing of one deployment (one per process, built from `kafka.avro`): makes encoders and
 * decoders from the serdes of `@busbar/avro`.
 */
export class AvroFraming {
  /** The framing encoders write. */
  readonly framing: Framing;
  private readonly log: Logger;
  /** Registrations of this process run one at a time (registries with SQL storage refuse concurrent first registrations: HTTP 500). */
  private registering: Promise<unknown> = Promise.resolve();

  /**
   * @param options - see {@link AvroFramingOptions}.
   * @throws {RegistryError} `BB_AVRO_REGISTRY_CONFIG_INVALID` for `confluent` without a registry.
   */
  constructor(private readonly options: AvroFramingOptions = {}) {
    this.framing = options.framing ?? 'single-object';
    this.log = (options.logger ?? noopLogger).child({ component: 'avro-framing' });
    if (this.framing === 'confluent' && options.registry === undefined) {
      throw new RegistryError('BB_AVRO_REGISTRY_CONFIG_INVALID', 'kafka.avro.framing is confluent but kafka.avro.registry is not configured');
    }
  }

  /** Whether a registry is configured (Confluent-framed records can be decoded). */
  get hasRegistry(): boolean {
    return this.options.registry !== undefined;
  }

  /** The TopicNameStrategy subject of a topic's values: `<topic>-value`. */
  static subject(topic: string): string {
    return `${topic}-value`;
  }

  /** An encoder of `serde`'s record for `topic`, in this deployment's framing. */
  encoder<I>(serde: Serde<unknown, I>, topic: string): FramedEncoder<I> {
    if (this.framing === 'single-object') {
      return { framing: 'single-object', isReady: () => true, ready: () => Promise.resolve(), encode: (v) => serde.encode(v) };
    }
    const registry = this.options.registry!;
    const subject = AvroFraming.subject(topic);
    const register = this.options.register ?? true;
    const compatibility = this.options.compatibility ?? 'BACKWARD';
    let header: Buffer | undefined;
    let pending: Promise<void> | undefined;
    const learn = async (): Promise<void> => {
      const text = JSON.stringify(serde.schema().json);
      const deadline = Date.now() + (this.options.readyTimeoutMs ?? 30_000);
      for (let attempt = 0; ; attempt++) {
        try {
          const id = await this.oneAtATime(async () => {
            if (!register) return registry.lookup(subject, text);
            await registry.setCompatibility(subject, compatibility);
            return registry.register(subject, text);
          });
          header = encodeConfluentHeader(id);
          this.log.info({ subject, schemaId: id, registered: register }, 'schema id of the subject known');
          return;
        } catch (err) {
          if (!(err instanceof RegistryError) || !err.retriable || Date.now() >= deadline) throw err;
          const delay = backoffDelayMs(attempt, { initialDelayMs: 200, maxDelayMs: 5000 });
          this.log.warn({ subject, err: err.message, retryInMs: delay }, 'schema registry unreachable; retrying');
          await sleep(delay);
        }
      }
    };
    return {
      framing: 'confluent',
      isReady: () => header !== undefined,
      ready: () => {
        if (header !== undefined) return Promise.resolve();
        pending ??= learn().finally(() => {
          pending = undefined;
        });
        return pending;
      },
      encode: (value) => {
        if (header === undefined) {
          throw new RegistryError('BB_AVRO_REGISTRY_UNREACHABLE', `schema id of subject ${subject} not known yet: await ready() before encode()`, { retriable: true, context: { subject, url: registry.url } });
        }
        const body = serde.encodeBody(value);
        const out = Buffer.allocUnsafe(CONFLUENT_HEADER_LENGTH + body.length);
        header.copy(out, 0);
        body.copy(out, CONFLUENT_HEADER_LENGTH);
        return out;
      },
    };
  }

  private oneAtATime<R>(f: () => Promise<R>): Promise<R> {
    const run = this.registering.then(f, f);
    this.registering = run.catch(() => undefined);
    return run;
  }

  /** A decoder of `serde`'s record that reads both framings (Confluent-framed ones through the registry). */
  decoder<T>(serde: Serde<T, never>): FramedDecoder<T> {
    const registry = this.options.registry;
    const ttl = this.options.missingIdTtlMs ?? 30_000;
    const now = this.options.now ?? Date.now;
    const ids = new Map<number, IdEntry>();
    const known = (id: number): boolean => {
      const e = ids.get(id);
      if (e === undefined) return false;
      if ('missingSince' in e && now() - e.missingSince >= ttl) {
        ids.delete(id);
        return false;
      }
      return true;
    };
    const resolve = async (id: number): Promise<void> => {
      let text: string;
      try {
        text = await registry!.schemaById(id);
      } catch (err) {
        if (err instanceof RegistryError && err.code === 'BB_AVRO_UNKNOWN_SCHEMA_ID') {
          ids.set(id, { missingSince: now() });
          return;
        }
        throw err;
      }
      ids.set(id, writerOf(serde, id, text));
    };
    return {
      async prepare(payloads) {
        if (registry === undefined) return;
        const wanted = new Set<number>();
        for (const p of payloads) {
          if (p == null || p.length < CONFLUENT_HEADER_LENGTH || detectFraming(p) !== 'confluent') continue;
          const id = new DataView(p.buffer, p.byteOffset, p.byteLength).getInt32(1, false);
          if (id >= 0 && !known(id)) wanted.add(id);
        }
        for (const id of wanted) await resolve(id);
      },
      decode(input) {
        if (detectFraming(input) !== 'confluent') return serde.decode(input);
        const { schemaId, bodyOffset } = decodeConfluentHeader(input);
        if (registry === undefined) {
          throw new AvroDecodeError('BB_AVRO_REGISTRY_NOT_CONFIGURED', `Confluent-framed message (schema id ${schemaId}) but no schema registry is configured (kafka.avro.registry)`, { context: { schemaId, expectedRecord: serde.recordName } });
        }
        known(schemaId); // drops an expired "missing" entry
        const e = ids.get(schemaId);
        if (e === undefined) {
          throw new RegistryError('BB_AVRO_REGISTRY_UNREACHABLE', `schema id ${schemaId} not resolved yet: call prepare() with the batch first`, { retriable: true, context: { schemaId, url: registry.url } });
        }
        if ('error' in e) throw e.error;
        if ('missingSince' in e) {
          throw new AvroDecodeError('BB_AVRO_UNKNOWN_SCHEMA_ID', `schema id ${schemaId} does not exist in the registry ${registry.url}`, { context: { schemaId, expectedRecord: serde.recordName } });
        }
        const buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
        return serde.decodeBody(buf, bodyOffset, e.writer);
      },
    };
  }

  /** Closes the registry client, if any. */
  async close(): Promise<void> {
    await this.options.registry?.close();
  }
}

/**
 * The writer of registry id `id` for `serde`'s record: a schema of the catalogue (current or
 * history, found by fingerprint), or a foreign writer schema of the same record name resolved to
 * the current one (e.g. registered by a Python producer with extra defaults).
 */
function writerOf(serde: Serde<unknown, never>, id: number, text: string): IdEntry {
  const expected = serde.recordName;
  const wrong = (why: string, cause?: unknown): IdEntry => ({
    error: new AvroDecodeError('BB_AVRO_WRONG_SCHEMA', `schema id ${id} ${why}, expected ${expected}`, { cause, context: { schemaId: id, expectedRecord: expected } }),
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    return wrong('is not JSON', cause);
  }
  let fp: bigint;
  try {
    fp = fingerprint(json as AvroSchemaJson);
  } catch (cause) {
    return wrong(`is not a valid Avro schema: ${(cause as Error).message}`, cause);
  }
  const catalogued = serde.catalog().writer(fp);
  if (catalogued !== undefined) {
    return catalogued.fullName === expected ? { writer: catalogued } : wrong(`is a ${catalogued.fullName}`);
  }
  let type;
  try {
    type = createAvroType(json);
  } catch (cause) {
    return wrong(`is not a valid Avro schema: ${(cause as Error).message}`, cause);
  }
  if (type.name !== expected) return wrong(`is a ${type.name ?? type.typeName}`);
  try {
    const resolver = serde.schema().type.createResolver(type);
    return { writer: { fullName: expected, files: [`registry schema id ${id}`], fingerprint: fp, type, resolver } };
  } catch (cause) {
    return wrong(`cannot be read as the current ${expected}: ${(cause as Error).message}`, cause);
  }
}
