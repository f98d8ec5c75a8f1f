/**
 * The schema catalogue: Busbar's Avro contract (`schemas/*.avsc`, the current reader schemas) plus
 * every committed earlier version (`schemas/history/<name>/v<N>.avsc`), indexed by CRC-64-AVRO
 * fingerprint so that a consumer recognises any writer version without a registry.
 *
 * Where the schemas are: {@link defaultSchemasDir} — `BUSBAR_SCHEMAS_DIR` if set, else
 * `../../../schemas` relative to this module, i.e. the repository's `schemas/` both from
 * `packages/avro/src` (dev, tests) and `packages/avro/dist` (built). Nothing is generated or
 * copied: the .avsc files stay the single source of the contract. A deployment that installs the
 * package outside the repository sets `BUSBAR_SCHEMAS_DIR` or passes `dir`.
 *
 * Loading checks BACKWARD compatibility: every history version must be readable by the current
 * schema of the same record (avsc `createResolver`), else `BB_AVRO_SCHEMA_INCOMPATIBLE`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type avro from 'avsc';
import { createAvroType } from './avro-type.js';
import { fingerprint as pcfFingerprint, parsingCanonicalForm, type AvroSchemaJson } from './codec/canonical.js';
import { encodeSingleObjectHeader, fingerprintHex } from './codec/single-object.js';
import { AvroSchemaError } from './errors.js';

/** Namespace of every Busbar record. */
export const AVRO_NAMESPACE = 'io.busbar.v1';

/** Short names of the records of the Busbar contract. */
export type RecordName = 'Reading' | 'DeviceEvent' | 'Command' | 'CommandResult' | 'Alert' | 'DeadLetter';

/** avsc resolver (reads data of one writer type as a reader type). */
export type AvroResolver = ReturnType<avro.Type['createResolver']>;

/** One schema source: file name (for messages) and parsed JSON. */
export interface SchemaSource {
  /** Path or name shown in errors, e.g. `reading.avsc` or `history/reading/v1.avsc`. */
  readonly file: string;
  /** Parsed .avsc JSON. */
  readonly json: unknown;
}

/** A current (reader) schema. */
export interface CurrentSchema {
  /** Full record name, `io.busbar.v1.Reading`. */
  readonly fullName: string;
  /** Source file. */
  readonly file: string;
  /** avsc type (see avro-type.ts). */
  readonly type: avro.Type;
  /** Parsing Canonical Form. */
  readonly canonicalForm: string;
  /** CRC-64-AVRO of the canonical form, unsigned. */
  readonly fingerprint: bigint;
  /** The 10-byte single-object header (`C3 01` + fingerprint LE) encoders prepend. */
  readonly header: Buffer;
  /** The schema's JSON as read from its file (registered as is, compact, by the Confluent framing). */
  readonly json: unknown;
}

/** A known writer schema: the current one or a history version, identified by fingerprint. */
export interface WriterSchema {
  /** Full record name this version belongs to. */
  readonly fullName: string;
  /** Source files with this canonical form (a history version equal to the current schema shares its entry). */
  readonly files: readonly string[];
  /** CRC-64-AVRO, unsigned. */
  readonly fingerprint: bigint;
  /** avsc type of the writer. */
  readonly type: avro.Type;
  /** Resolver from this writer to the current reader; `undefined` when the canonical forms are equal. */
  readonly resolver: AvroResolver | undefined;
}

/**
 * The directory the catalogue is read from by default: `BUSBAR_SCHEMAS_DIR`, else the
 * repository's `schemas/` (three levels above this module's folder).
 */
export function defaultSchemasDir(): string {
  const env = process.env['BUSBAR_SCHEMAS_DIR'];
  if (env !== undefined && env !== '') return env;
  return fileURLToPath(new URL('../../../schemas/', import.meta.url));
}

function qualify(name: string): string {
  return name.includes('.') ? name : `${AVRO_NAMESPACE}.${name}`;
}

function compile(src: SchemaSource): { fullName: string; type: avro.Type; canonicalForm: string; fingerprint: bigint } {
  let type: avro.Type;
  try {
    type = createAvroType(src.json);
  } catch (cause) {
    throw new AvroSchemaError('BB_AVRO_SCHEMA_INVALID', `${src.file}: not a valid Avro schema: ${(cause as Error).message}`, { cause, context: { file: src.file } });
  }
  if (type.typeName !== 'record' || type.name === undefined) {
    throw new AvroSchemaError('BB_AVRO_SCHEMA_INVALID', `${src.file}: top-level type must be a named record, got ${type.typeName}`, { context: { file: src.file } });
  }
  const canonicalForm = parsingCanonicalForm(src.json as AvroSchemaJson);
  return { fullName: type.name, type, canonicalForm, fingerprint: pcfFingerprint(src.json as AvroSchemaJson) };
}

/**
 * Current reader schemas and all known writer versions. Build with {@link loadSchemas} (files)
 * or {@link SchemaCatalog.fromSources} (in memory, for tests and tools).
 */
export class SchemaCatalog {
  private readonly currents = new Map<string, CurrentSchema>();
  private readonly writersByFp = new Map<bigint, WriterSchema>();

  private constructor(readonly dir: string | undefined) {}

  /**
   * A catalogue from parsed schemas. History versions must name a record present in `current`
   * and be readable by it.
   * @throws {AvroSchemaError} `BB_AVRO_SCHEMA_INVALID` (bad schema, duplicate record, history of an
   *   unknown record, fingerprint shared by two records), `BB_AVRO_SCHEMA_INCOMPATIBLE` (current
   *   cannot read a history version; the message names both files and avsc's reason).
   */
  static fromSources(current: readonly SchemaSource[], history: readonly SchemaSource[] = [], dir?: string): SchemaCatalog {
    const catalog = new SchemaCatalog(dir);
    for (const src of current) {
      const c = compile(src);
      if (catalog.currents.has(c.fullName)) {
        throw new AvroSchemaError('BB_AVRO_SCHEMA_INVALID', `${src.file}: record ${c.fullName} is already defined by ${catalog.currents.get(c.fullName)?.file}`, { context: { file: src.file } });
      }
      catalog.currents.set(c.fullName, { ...c, file: src.file, header: encodeSingleObjectHeader(c.fingerprint), json: src.json });
      catalog.addWriter({ fullName: c.fullName, files: [src.file], fingerprint: c.fingerprint, type: c.type, resolver: undefined }, src.file);
    }
    for (const src of history) {
      const w = compile(src);
      const reader = catalog.currents.get(w.fullName);
      if (reader === undefined) {
        throw new AvroSchemaError('BB_AVRO_SCHEMA_INVALID', `${src.file}: history version of record ${w.fullName}, which has no current schema`, { context: { file: src.file } });
      }
      const known = catalog.writersByFp.get(w.fingerprint);
      if (known !== undefined && known.fullName === w.fullName) {
        catalog.writersByFp.set(w.fingerprint, { ...known, files: [...known.files, src.file] });
        continue;
      }
      let resolver: AvroResolver;
      try {
        resolver = reader.type.createResolver(w.type);
      } catch (cause) {
        throw new AvroSchemaError(
          'BB_AVRO_SCHEMA_INCOMPATIBLE',
          `${reader.file} cannot read data written with ${src.file} (BACKWARD compatibility broken): ${(cause as Error).message}. Give new fields a default, keep removed fields' readers tolerant, never change a field's type incompatibly.`,
          { cause, context: { file: src.file, reader: reader.file } },
        );
      }
      catalog.addWriter({ fullName: w.fullName, files: [src.file], fingerprint: w.fingerprint, type: w.type, resolver }, src.file);
    }
    return catalog;
  }

  private addWriter(w: WriterSchema, file: string): void {
    const other = this.writersByFp.get(w.fingerprint);
    if (other !== undefined) {
      throw new AvroSchemaError('BB_AVRO_SCHEMA_INVALID', `${file}: fingerprint ${fingerprintHex(w.fingerprint)} already belongs to ${other.fullName} (${other.files.join(', ')})`, { context: { file } });
    }
    this.writersByFp.set(w.fingerprint, w);
  }

  /**
   * The current schema of a record (`Reading` or `io.busbar.v1.Reading`).
   * @throws {AvroSchemaError} `BB_AVRO_SCHEMA_NOT_FOUND` when the catalogue has no such record.
   */
  current(name: RecordName | string): CurrentSchema {
    const s = this.currents.get(qualify(name));
    if (s === undefined) {
      throw new AvroSchemaError('BB_AVRO_SCHEMA_NOT_FOUND', `no schema for record ${qualify(name)} in ${this.dir ?? 'the catalogue'} (known: ${[...this.currents.keys()].join(', ')})`, { context: { record: qualify(name) } });
    }
    return s;
  }

  /** The writer schema with fingerprint `fp` (unsigned), or `undefined` if unknown. */
  writer(fp: bigint): WriterSchema | undefined {
    return this.writersByFp.get(fp);
  }

  /** All current schemas. */
  currentSchemas(): readonly CurrentSchema[] {
    return [...this.currents.values()];
  }

  /** All known writer schemas (current and history). */
  writerSchemas(): readonly WriterSchema[] {
    return [...this.writersByFp.values()];
  }
}

function readJson(path: string, file: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new AvroSchemaError('BB_AVRO_SCHEMA_NOT_FOUND', `cannot read schema ${path}: ${(cause as Error).message}`, { cause, context: { file } });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new AvroSchemaError('BB_AVRO_SCHEMA_INVALID', `${file}: not JSON: ${(cause as Error).message}`, { cause, context: { file } });
  }
}

/** Options of {@link loadSchemas}. */
export interface LoadSchemasOptions {
  /** Directory holding `*.avsc` and `history/<name>/v<N>.avsc`. Default {@link defaultSchemasDir}. */
  readonly dir?: string;
}

/**
 * Reads `<dir>/*.avsc` (current schemas) and `<dir>/history/<name>/v<N>.avsc` (earlier versions,
 * N = 1, 2, ...) synchronously and builds a {@link SchemaCatalog}.
 * @throws {AvroSchemaError} `BB_AVRO_SCHEMA_NOT_FOUND` (no directory, no .avsc files),
 *   `BB_AVRO_SCHEMA_INVALID`, `BB_AVRO_SCHEMA_INCOMPATIBLE` (see {@link SchemaCatalog.fromSources}).
 */
export function loadSchemas(options: LoadSchemasOptions = {}): SchemaCatalog {
  const dir = options.dir ?? defaultSchemasDir();
  if (!existsSync(dir)) {
    throw new AvroSchemaError('BB_AVRO_SCHEMA_NOT_FOUND', `schemas directory ${dir} does not exist (set BUSBAR_SCHEMAS_DIR to the repository's schemas/ folder)`, { context: { dir } });
  }
  const files = readdirSync(dir).filter((f) => f.endsWith('.avsc')).sort();
  if (files.length === 0) {
    throw new AvroSchemaError('BB_AVRO_SCHEMA_NOT_FOUND', `no .avsc files in ${dir}`, { context: { dir } });
  }
  const current = files.map((f) => ({ file: f, json: readJson(join(dir, f), f) }));
  const history: SchemaSource[] = [];
  const historyDir = join(dir, 'history');
  if (existsSync(historyDir)) {
    for (const name of readdirSync(historyDir).sort()) {
      const versionDir = join(historyDir, name);
      for (const v of readdirSync(versionDir).filter((f) => /^v\d+\.avsc$/.test(f)).sort((a, b) => parseInt(a.slice(1), 10) - parseInt(b.slice(1), 10))) {
        const file = `history/${name}/${v}`;
        history.push({ file, json: readJson(join(versionDir, v), file) });
      }
    }
  }
  return SchemaCatalog.fromSources(current, history, dir);
}
