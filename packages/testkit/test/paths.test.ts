import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { apicurioHome, DEFAULT_APICURIO_VERSION, DEFAULT_INFLUXD_VERSION, DEFAULT_KAFKA_VERSION, influxdBinary, kafkaHome } from '../src/paths.js';
import { TestkitError } from '../src/errors.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe('Testkit > paths', () => {
  const cache = mkdtempSync(join(tmpdir(), 'busbar-cache-test-'));
  afterAll(() => rmSync(cache, { recursive: true, force: true }));
  const env = { BUSBAR_CACHE_DIR: cache };

  it('names the script to run when the Kafka jars are missing', () => {
    const err = (() => {
      try {
        kafkaHome(undefined, env);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(TestkitError);
    expect((err as TestkitError).code).toBe('BB_TESTKIT_MISSING_BINARY');
    expect((err as Error).message).toContain('scripts/infra/fetch-kafka.sh');
  });

  it('names the script to run when influxd is missing', () => {
    expect(() => influxdBinary(undefined, env)).toThrow(/scripts\/infra\/build-influxd\.sh/);
  });

  it('names the script to run when the schema registry is not built', () => {
    expect(() => apicurioHome(undefined, env)).toThrow(/scripts\/infra\/fetch-apicurio\.sh/);
  });

  it('finds the registry the script built, keyed by version', () => {
    const home = join(cache, 'apicurio', DEFAULT_APICURIO_VERSION);
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, '.complete'), '');
    expect(apicurioHome(undefined, env)).toBe(home);
  });

  it('finds what the scripts wrote, keyed by version', () => {
    const home = join(cache, 'kafka', DEFAULT_KAFKA_VERSION);
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, '.complete'), '');
    expect(kafkaHome(undefined, env)).toBe(home);
    const bin = join(cache, 'influxd', '2.7.12', 'influxd');
    mkdirSync(dirname(bin), { recursive: true });
    writeFileSync(bin, '');
    expect(influxdBinary(undefined, { ...env, BUSBAR_INFLUXD_VERSION: '2.7.12' })).toBe(bin);
    expect(influxdBinary(undefined, { ...env, BUSBAR_INFLUXD_BIN: bin })).toBe(bin);
  });

  it('has the same default versions as scripts/infra/env.sh', () => {
    const sh = readFileSync(join(repo, 'scripts', 'infra', 'env.sh'), 'utf8');
    expect(sh).toContain(`BUSBAR_KAFKA_VERSION="\${BUSBAR_KAFKA_VERSION:-${DEFAULT_KAFKA_VERSION}}"`);
    expect(sh).toContain(`BUSBAR_INFLUXD_VERSION="\${BUSBAR_INFLUXD_VERSION:-${DEFAULT_INFLUXD_VERSION}}"`);
    expect(sh).toContain(`BUSBAR_APICURIO_VERSION="\${BUSBAR_APICURIO_VERSION:-${DEFAULT_APICURIO_VERSION}}"`);
    expect(readFileSync(join(repo, 'scripts', 'infra', 'apicurio', 'pom.xml'), 'utf8')).toContain(`<apicurio.version>${DEFAULT_APICURIO_VERSION}</apicurio.version>`);
    const connect = readFileSync(join(repo, 'scripts', 'infra', 'connect', 'pom.xml'), 'utf8');
    expect(connect).toContain(`<kafka.version>${DEFAULT_KAFKA_VERSION}</kafka.version>`);
    expect(connect).toContain(`<apicurio.version>${DEFAULT_APICURIO_VERSION}</apicurio.version>`);
    const pom = readFileSync(join(repo, 'scripts', 'infra', 'kafka', 'pom.xml'), 'utf8');
    expect(pom).toContain(`<kafka.version>${DEFAULT_KAFKA_VERSION}</kafka.version>`);
  });
});
