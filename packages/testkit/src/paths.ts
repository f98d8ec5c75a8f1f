/**
 * Where the server artefacts live. They are written by the scripts in `scripts/infra/` into a
 * cache outside the repository, keyed by version; the defaults here must match
 * `scripts/infra/env.sh` (a unit test checks it).
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TestkitError } from './errors.js';

/** Kafka version fetched by `scripts/infra/fetch-kafka.sh` unless `BUSBAR_KAFKA_VERSION` says otherwise. */
export const DEFAULT_KAFKA_VERSION = '4.3.1';
/** InfluxDB version built by `scripts/infra/build-influxd.sh` unless `BUSBAR_INFLUXD_VERSION` says otherwise. */
export const DEFAULT_INFLUXD_VERSION = '2.8.0';

/** Apicurio Registry version built by `scripts/infra/fetch-apicurio.sh` unless `BUSBAR_APICURIO_VERSION` says otherwise. */
export const DEFAULT_APICURIO_VERSION = '2.4.2.Final';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The Busbar cache directory: `$BUSBAR_CACHE_DIR`, else `~/.cache/busbar`.
 * @param env - environment to read (default `process.env`).
 */
export function cacheDir(env: Env = process.env): string {
  const dir = env['BUSBAR_CACHE_DIR'];
  return dir !== undefined && dir !== '' ? dir : join(homedir(), '.cache', 'busbar');
}

/**
 * The Kafka home: `<cache>/kafka/<version>`, holding `libs/*.jar` and `log4j2.properties`.
 * @param version - default `$BUSBAR_KAFKA_VERSION`, else {@link DEFAULT_KAFKA_VERSION}.
 * @param env - environment to read (default `process.env`).
 * @throws {TestkitError} `BB_TESTKIT_MISSING_BINARY` when `scripts/infra/fetch-kafka.sh` has not completed for that version.
 */
export function kafkaHome(version?: string, env: Env = process.env): string {
  const v = version ?? nonEmpty(env['BUSBAR_KAFKA_VERSION']) ?? DEFAULT_KAFKA_VERSION;
  const home = join(cacheDir(env), 'kafka', v);
  if (!existsSync(join(home, '.complete'))) {
    throw new TestkitError(
      'BB_TESTKIT_MISSING_BINARY',
      `Kafka ${v} jars not found in ${home}: run \`bash scripts/infra/fetch-kafka.sh\` (or scripts/infra/fetch-all.sh)` +
        `${v === DEFAULT_KAFKA_VERSION ? '' : ` with BUSBAR_KAFKA_VERSION=${v}`}.`,
      { context: { server: 'kafka', path: home } },
    );
  }
  return home;
}

/**
 * Path of the `influxd` binary: `$BUSBAR_INFLUXD_BIN` when set, else `<cache>/influxd/<version>/influxd`.
 * @param version - default `$BUSBAR_INFLUXD_VERSION`, else {@link DEFAULT_INFLUXD_VERSION}.
 * @param env - environment to read (default `process.env`).
 * @throws {TestkitError} `BB_TESTKIT_MISSING_BINARY` when the binary is absent (run `scripts/infra/build-influxd.sh`).
 */
export function influxdBinary(version?: string, env: Env = process.env): string {
  const v = version ?? nonEmpty(env['BUSBAR_INFLUXD_VERSION']) ?? DEFAULT_INFLUXD_VERSION;
  const explicit = version === undefined ? nonEmpty(env['BUSBAR_INFLUXD_BIN']) : undefined;
  const bin = explicit ?? join(cacheDir(env), 'influxd', v, 'influxd');
  if (!existsSync(bin)) {
    throw new TestkitError(
      'BB_TESTKIT_MISSING_BINARY',
      `influxd ${v} not found at ${bin}: run \`bash scripts/infra/build-influxd.sh\` (or scripts/infra/fetch-all.sh)` +
        `${v === DEFAULT_INFLUXD_VERSION ? '' : ` with BUSBAR_INFLUXD_VERSION=${v}`}; the first build takes several minutes.`,
      { context: { server: 'influxdb', path: bin } },
    );
  }
  return bin;
}

/**
 * The Apicurio Registry home: `<cache>/apicurio/<version>`, holding `quarkus-app/quarkus-run.jar`.
 * @param version - default `$BUSBAR_APICURIO_VERSION`, else {@link DEFAULT_APICURIO_VERSION}.
 * @param env - environment to read (default `process.env`).
 * @throws {TestkitError} `BB_TESTKIT_MISSING_BINARY` when `scripts/infra/fetch-apicurio.sh` has not completed for that version.
 */
export function apicurioHome(version?: string, env: Env = process.env): string {
  const v = version ?? nonEmpty(env['BUSBAR_APICURIO_VERSION']) ?? DEFAULT_APICURIO_VERSION;
  const home = join(cacheDir(env), 'apicurio', v);
  if (!existsSync(join(home, '.complete'))) {
    throw new TestkitError(
      'BB_TESTKIT_MISSING_BINARY',
      `Apicurio Registry ${v} not found in ${home}: run \`bash scripts/infra/fetch-apicurio.sh\` (or scripts/infra/fetch-all.sh)` +
        `${v === DEFAULT_APICURIO_VERSION ? '' : ` with BUSBAR_APICURIO_VERSION=${v}`}; the first build takes about 2 minutes.`,
      { context: { server: 'schema-registry', path: home } },
    );
  }
  return home;
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}
