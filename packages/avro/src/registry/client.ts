/**
 * A small client of the Confluent Schema Registry REST API (Confluent Schema Registry API reference;
 * served by Confluent's registry and by Apicurio Registry under `/apis/ccompat/v7`), limited to what
 * Busbar's Confluent framing needs:
 *
 *   POST /subjects/{subject}/versions   {"schema": "..."}            register → {"id": N}
 *   POST /subjects/{subject}            {"schema": "..."}            look up  → {"id": N, ...}
 *   PUT  /config/{subject}              {"compatibility": "BACKWARD"} set the subject's compatibility
 *   GET  /schemas/ids/{id}                                            → {"schema": "..."}
 *
 * Errors are classified once, here, for the callers' retry decision: a registry that cannot be
 * reached (connection refused, reset, timeout) or answers 5xx is `BB_AVRO_REGISTRY_UNREACHABLE`
 * (retriable: records wait); a 404 with Confluent `error_code` 40403 on an id is
 * `BB_AVRO_UNKNOWN_SCHEMA_ID` (the record is a dead letter); 40401/40403 on a subject look-up is
 * `BB_AVRO_SUBJECT_NOT_REGISTERED`; 409 is `BB_AVRO_REGISTRY_INCOMPATIBLE`; 401/403, other 4xx and
 * a refused TLS certificate (either side's) are `BB_AVRO_REGISTRY_REFUSED`.
 *
 * Why not `@kafkajs/confluent-schema-registry` (4.1.0, checked against Apicurio 2.4.2): its HTTP
 * layer (mappersmith) turns a refused connection into a response of status 400, indistinguishable
 * from a registry's own 400 without matching message text, and that distinction is what decides
 * between "wait" and "dead letter"; it parses schemas with its own avsc options (Busbar's guarded
 * long/map types and timestamp-micros ↔ Date must be used), and its `register` refuses a subject
 * whose compatibility differs instead of setting it. What remains are four REST calls.
 * HTTP and TLS (CA, client certificate) through undici, imported at the first request: most services
 * never use a registry (single-object encoding is the default), and undici is about 7 MiB of heap once
 * loaded (`npm run bench:footprint`, README "Performance").
 */
import type { Agent, fetch as undiciFetch } from 'undici';
import { RegistryError } from '../errors.js';

/** Compatibility levels of the Confluent API. */
export type CompatibilityLevel = 'BACKWARD' | 'BACKWARD_TRANSITIVE' | 'FORWARD' | 'FORWARD_TRANSITIVE' | 'FULL' | 'FULL_TRANSITIVE' | 'NONE';

/** Connection settings of {@link SchemaRegistryClient}, with secrets already read (see `loadRegistryOptions`). */
export interface SchemaRegistryClientOptions {
  /** Base URL of the Confluent-compatible API, e.g. `http://registry:8080/apis/ccompat/v7` (Apicurio) or `https://sr:8081` (Confluent). */
  readonly url: string;
  /** HTTP basic auth. */
  readonly basicAuth?: { readonly username: string; readonly password: string };
  /** TLS: trusted CA certificates (PEM), client certificate and key (PEM) for mutual TLS. */
  readonly tls?: { readonly ca?: string; readonly cert?: string; readonly key?: string };
  /** Per-request timeout, ms. @default 5000 */
  readonly timeoutMs?: number;
}

/** What the Confluent framing uses of a registry: {@link SchemaRegistryClient} implements it. */
export type SchemaRegistryApi = Pick<SchemaRegistryClient, 'url' | 'register' | 'lookup' | 'setCompatibility' | 'schemaById' | 'close'>;

const ACCEPT = 'application/vnd.schemaregistry.v1+json, application/json';
const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/** A Confluent-compatible schema registry over HTTP(S). Holds a connection pool: {@link close} it. */
export class SchemaRegistryClient {
  private readonly base: string;
  private readonly tls: SchemaRegistryClientOptions['tls'];
  /** The connection pool and undici's `fetch`, from the first request on. */
  private http: Promise<{ readonly agent: Agent; readonly fetch: typeof undiciFetch }> | undefined;
  private closed = false;
  private readonly authorization: string | undefined;
  private readonly timeoutMs: number;

  /** @param options - see {@link SchemaRegistryClientOptions}. */
  constructor(options: SchemaRegistryClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.tls = options.tls;
    this.authorization = options.basicAuth ? `Basic ${Buffer.from(`${options.basicAuth.username}:${options.basicAuth.password}`).toString('base64')}` : undefined;
  }

  /** The registry's base URL (no secrets). */
  get url(): string {
    return this.base;
  }

  /**
   * Registers `schema` (Avro schema JSON text) under `subject`, or finds it registered already.
   * @returns its global schema id.
   * @throws {RegistryError} `BB_AVRO_REGISTRY_INCOMPATIBLE` (409: breaks the subject's compatibility),
   *   `BB_AVRO_REGISTRY_REFUSED`, `BB_AVRO_REGISTRY_UNREACHABLE` (retriable).
   */
  async register(subject: string, schema: string): Promise<number> {
    const body = await this.call('POST', `/subjects/${encodeURIComponent(subject)}/versions`, { schema }, { subject });
    return schemaId(body, this.base);
  }

  /**
   * The id of `schema` registered under `subject` (look-up only: registers nothing).
   * @throws {RegistryError} `BB_AVRO_SUBJECT_NOT_REGISTERED` (the subject or this schema under it is
   *   not registered), `BB_AVRO_REGISTRY_REFUSED`, `BB_AVRO_REGISTRY_UNREACHABLE` (retriable).
   */
  async lookup(subject: string, schema: string): Promise<number> {
    const body = await this.call('POST', `/subjects/${encodeURIComponent(subject)}`, { schema }, { subject, lookup: true });
    return schemaId(body, this.base);
  }

  /**
   * Sets the compatibility level of `subject` (`PUT /config/{subject}`).
   * @throws {RegistryError} `BB_AVRO_REGISTRY_REFUSED`, `BB_AVRO_REGISTRY_UNREACHABLE` (retriable).
   */
  async setCompatibility(subject: string, level: CompatibilityLevel): Promise<void> {
    await this.call('PUT', `/config/${encodeURIComponent(subject)}`, { compatibility: level }, { subject });
  }

  /**
   * The compatibility level of `subject` (`GET /config/{subject}`), or `undefined` when it has none of its own.
   * @throws {RegistryError} `BB_AVRO_REGISTRY_REFUSED`, `BB_AVRO_REGISTRY_UNREACHABLE` (retriable).
   */
  async compatibility(subject: string): Promise<string | undefined> {
    try {
      const body = (await this.call('GET', `/config/${encodeURIComponent(subject)}`, undefined, { subject, lookup: true })) as { compatibilityLevel?: unknown; compatibility?: unknown };
      const level = body.compatibilityLevel ?? body.compatibility;
      return typeof level === 'string' ? level : undefined;
    } catch (err) {
      if (err instanceof RegistryError && err.code === 'BB_AVRO_SUBJECT_NOT_REGISTERED') return undefined;
      throw err;
    }
  }

  /**
   * The writer schema text of global id `id` (`GET /schemas/ids/{id}`).
   * @throws {RegistryError} `BB_AVRO_UNKNOWN_SCHEMA_ID` (the registry says the id does not exist),
   *   `BB_AVRO_REGISTRY_REFUSED`, `BB_AVRO_REGISTRY_UNREACHABLE` (retriable).
   */
  async schemaById(id: number): Promise<string> {
    const body = (await this.call('GET', `/schemas/ids/${id}`, undefined, { schemaId: id })) as { schema?: unknown; schemaType?: unknown };
    if (typeof body.schema !== 'string') throw new RegistryError('BB_AVRO_REGISTRY_REFUSED', `${this.base}: GET /schemas/ids/${id} answered without a schema`, { context: { url: this.base, schemaId: id } });
    if (body.schemaType !== undefined && body.schemaType !== 'AVRO') {
      throw new RegistryError('BB_AVRO_REGISTRY_REFUSED', `schema id ${id} is a ${String(body.schemaType)} schema, not Avro`, { context: { url: this.base, schemaId: id } });
    }
    return body.schema;
  }

  /** Closes the connection pool; a request afterwards fails (`BB_AVRO_REGISTRY_UNREACHABLE`, "client closed"). */
  async close(): Promise<void> {
    this.closed = true;
    const http = this.http;
    if (http !== undefined) await (await http).agent.close();
  }

  private pool(): Promise<{ readonly agent: Agent; readonly fetch: typeof undiciFetch }> {
    if (this.closed) return Promise.reject(new RegistryError('BB_AVRO_REGISTRY_UNREACHABLE', `${this.base}: the registry client was closed`, { context: { url: this.base } }));
    this.http ??= import('undici').then((undici) => ({ agent: new undici.Agent({ connect: { ...(this.tls ?? {}), timeout: this.timeoutMs }, keepAliveTimeout: 10_000 }), fetch: undici.fetch }));
    return this.http;
  }

  private async call(method: string, path: string, json: unknown, what: { subject?: string; schemaId?: number; lookup?: boolean }): Promise<unknown> {
    const headers: Record<string, string> = { accept: ACCEPT };
    if (json !== undefined) headers['content-type'] = CONTENT_TYPE;
    if (this.authorization !== undefined) headers['authorization'] = this.authorization;
    const where = `${method} ${this.base}${path}`;
    const { agent, fetch } = await this.pool();
    let res;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers,
        body: json === undefined ? undefined : JSON.stringify(json),
        dispatcher: agent,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (cause) {
      const reason = describeNetworkError(cause);
      if (TLS_REFUSAL.test(reason)) {
        // a certificate the other side refuses is a configuration error, not an outage
        throw new RegistryError('BB_AVRO_REGISTRY_REFUSED', `schema registry TLS handshake refused: ${where}: ${reason} (check kafka.avro.registry.tls caFile / certFile / keyFile)`, { cause, context: { url: this.base, reason } });
      }
      throw new RegistryError('BB_AVRO_REGISTRY_UNREACHABLE', `schema registry unreachable: ${where}: ${reason}`, { cause, retriable: true, context: { url: this.base, reason } });
    }
    const text = await res.text().catch(() => '');
    let body: unknown;
    try {
      body = text === '' ? {} : JSON.parse(text);
    } catch {
      body = { message: text.slice(0, 200) };
    }
    if (res.ok) return body;
    const { error_code: errorCode, message } = (body ?? {}) as { error_code?: unknown; message?: unknown };
    const detail = `${where}: HTTP ${res.status}${typeof errorCode === 'number' ? ` error_code ${errorCode}` : ''}${typeof message === 'string' ? `: ${message}` : ''}`;
    const context = { url: this.base, status: res.status, errorCode: typeof errorCode === 'number' ? errorCode : null, subject: what.subject ?? null, schemaId: what.schemaId ?? null };
    if (res.status >= 500 || res.status === 408 || res.status === 429) {
      throw new RegistryError('BB_AVRO_REGISTRY_UNREACHABLE', `schema registry failed: ${detail}`, { retriable: true, context });
    }
    if (res.status === 404 && what.schemaId !== undefined) {
      throw new RegistryError('BB_AVRO_UNKNOWN_SCHEMA_ID', `schema id ${what.schemaId} does not exist in the registry: ${detail}`, { context });
    }
    if (res.status === 404 && what.lookup === true) {
      throw new RegistryError('BB_AVRO_SUBJECT_NOT_REGISTERED', `subject ${what.subject ?? ''} has no such schema registered: ${detail}`, { context });
    }
    if (res.status === 409) {
      throw new RegistryError('BB_AVRO_REGISTRY_INCOMPATIBLE', `the registry refused the schema of subject ${what.subject ?? ''} as incompatible with its earlier versions: ${detail}`, { context });
    }
    throw new RegistryError('BB_AVRO_REGISTRY_REFUSED', `schema registry refused the request: ${detail}${res.status === 401 || res.status === 403 ? ' (check kafka.avro.registry basic auth / client certificate)' : ''}`, { context });
  }
}

function schemaId(body: unknown, url: string): number {
  const id = (body as { id?: unknown } | null)?.id;
  if (typeof id !== 'number' || !Number.isInteger(id)) throw new RegistryError('BB_AVRO_REGISTRY_REFUSED', `${url}: answer without a schema id: ${JSON.stringify(body).slice(0, 200)}`, { context: { url } });
  return id;
}

/** Node/OpenSSL codes of a certificate refused by either side (the registry's, or ours by the registry). */
const TLS_REFUSAL = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_SSL|ERR_TLS|alert (bad certificate|certificate required|unknown ca)/i;

function describeNetworkError(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timed out';
  const c = e.cause;
  if (c?.code !== undefined) return `${c.code}${c.message ? ` (${c.message})` : ''}`;
  return c?.message ?? e.message ?? String(err);
}
