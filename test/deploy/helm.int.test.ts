/**
 * deploy/helm/busbar: `helm lint --strict` and `helm template` (helm v4 built by
 * scripts/infra/build-helm.sh), with assertions on the rendered manifests. The ConfigMaps a pod
 * would mount are written to a directory and loaded through each service's own loader with the
 * pod's environment, so the chart cannot render a configuration the services refuse.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAlerterConfig } from '@busbar/alerter';
import { loadCollectorConfig } from '@busbar/collector-modbus';
import { loadCommanderConfig } from '@busbar/commander';
import { loadHistorianConfig } from '@busbar/historian';
import { DEPLOY_DIR, REPO_ROOT, helmBinary, parseYamlStream } from './support.js';

const run = promisify(execFile);
const CHART = join(DEPLOY_DIR, 'helm', 'busbar');
const work = mkdtempSync(join(tmpdir(), 'busbar-helm-'));
let helm: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  helm = helmBinary();
  // helm keeps its config, cache and data under HOME/XDG: all in a temporary directory, offline
  env = { PATH: process.env.PATH, HOME: work, XDG_CACHE_HOME: join(work, 'cache'), XDG_CONFIG_HOME: join(work, 'config'), XDG_DATA_HOME: join(work, 'data') };
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Manifest = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function helmRun(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(helm, args, { env, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** `helm template rel CHART` with values files written from `values` objects (JSON is YAML). */
async function render(...values: object[]): Promise<Manifest[]> {
  const args = ['template', 'rel', CHART];
  values.forEach((v, i) => {
    const file = join(work, `values-${Date.now()}-${i}.yaml`);
    writeFileSync(file, JSON.stringify(v));
    args.push('-f', file);
  });
  const r = await helmRun(args);
  if (r.code !== 0) throw new Error(`helm template failed (${r.code}): ${r.stderr}`);
  return parseYamlStream(r.stdout);
}

const find = (docs: Manifest[], kind: string, name: string): Manifest => {
  const d = docs.find((m) => m['kind'] === kind && m['metadata'].name === name);
  if (!d) throw new Error(`no ${kind} ${name} in ${docs.map((m) => `${m['kind']}/${m['metadata'].name}`).join(', ')}`);
  return d;
};
const envOf = (container: Manifest): Record<string, string> => Object.fromEntries((container['env'] as Array<{ name: string; value: string }>).map((e) => [e.name, e.value]));

/**
 * Writes what the pod sees at /etc/busbar (its projected volume: the service's ConfigMap and the
 * maps ConfigMap items) into a directory; returns the path of the configuration file of `args`.
 */
function materialise(docs: Manifest[], pod: Manifest, container: Manifest): string {
  const dir = mkdtempSync(join(work, 'etc-busbar-'));
  const volume = (pod['volumes'] as Manifest[]).find((v) => v['name'] === 'config')!;
  for (const source of volume['projected'].sources as Manifest[]) {
    const cm = find(docs, 'ConfigMap', source['configMap'].name);
    const items: Array<{ key: string; path: string }> = source['configMap'].items ?? Object.keys(cm['data']).map((k) => ({ key: k, path: k }));
    for (const item of items) {
      mkdirSync(join(dir, item.path, '..'), { recursive: true });
      writeFileSync(join(dir, item.path), cm['data'][item.key] as string);
    }
  }
  const args = container['args'] as string[];
  expect(args[1]).toBe('--config');
  expect(args[2]!.startsWith('/etc/busbar/')).toBe(true);
  return join(dir, args[2]!.slice('/etc/busbar/'.length));
}

const TOKEN_VALUES = { influx: { token: 'chart-token' } };

describe('helm chart deploy/helm/busbar', () => {
  it('passes helm lint --strict', async () => {
    const r = await helmRun(['lint', '--strict', CHART, '--set', 'influx.token=x']);
    expect(r.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    expect(r.code).toBe(0);
  });

  it('refuses to render without the InfluxDB token, with an unknown collector protocol or a misspelt key (values.schema.json)', async () => {
    await expect(render()).rejects.toThrow(/influx.token or influx.existingSecret is required/);
    await expect(render(TOKEN_VALUES, { collectors: [{ name: 'x', protocol: 'profibus', configFile: 'collector-modbus.yaml', config: {}, opsPort: 9464, state: { size: '1Gi' }, hostDevices: [], resources: {} }] }))
      .rejects.toThrow(/\/collectors\/0\/protocol': value must be one of 'modbus', 'arbin', 'maccor', 'corus'/);
    await expect(render(TOKEN_VALUES, { historian: { replica: 2 } })).rejects.toThrow(/at '\/historian': additional properties 'replica' not allowed/);
    await expect(render(TOKEN_VALUES, { kafka: { brokers: ['kafka'] } })).rejects.toThrow(/\/kafka\/brokers\/0/);
  });

  it('renders a Deployment per stateless service with its replicas, probes, security and entry point', async () => {
    const docs = await render(TOKEN_VALUES, { historian: { replicas: 3 }, commander: { enabled: false } });
    expect(docs.filter((d) => d['kind'] === 'Deployment').map((d) => d['metadata'].name).sort()).toEqual(['rel-busbar-alerter', 'rel-busbar-historian']);
    const historian = find(docs, 'Deployment', 'rel-busbar-historian');
    expect(historian['spec'].replicas).toBe(3);
    const pod = historian['spec'].template.spec;
    const c = pod.containers[0];
    expect(c.image).toBe('localhost/busbar:0.1.0');
    expect(c.args).toEqual(['services/historian/dist/main.js', '--config', '/etc/busbar/historian.yaml']);
    expect(existsSync(join(REPO_ROOT, 'services/historian/src/main.ts'))).toBe(true);
    expect(c.ports).toEqual([{ name: 'ops', containerPort: 9465, protocol: 'TCP' }]);
    // liveness /livez, readiness /readyz (values probes.livenessPath / readinessPath)
    expect(c.livenessProbe.httpGet).toEqual({ path: '/livez', port: 'ops' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'ops' });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 });
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(historian['spec'].template.metadata.annotations['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('renders configurations every service loads with the pod\'s environment (external Kafka and InfluxDB by values)', async () => {
    const docs = await render(TOKEN_VALUES, { kafka: { brokers: ['k1.example:9092', 'k2.example:9092'] }, influx: { url: 'https://influx.example:8086', org: 'lab' }, alerter: { config: { rules: [{ id: 'hot', signal: 'temperature_c', critical: 50, clear: 45 }] } }, historian: { opsPort: 19465 } });
    const secretDir = mkdtempSync(join(work, 'secret-'));
    const secret = find(docs, 'Secret', 'rel-busbar-influx');
    writeFileSync(join(secretDir, 'influx-token'), secret['stringData']['influx-token'] as string);
    const loaders = {
      historian: (file: string, e: NodeJS.ProcessEnv) => loadHistorianConfig(file, { ...e, BUSBAR_INFLUX__TOKEN_FILE: join(secretDir, 'influx-token') }),
      alerter: loadAlerterConfig,
      commander: loadCommanderConfig,
    };
    for (const [name, load] of Object.entries(loaders)) {
      const pod = find(docs, 'Deployment', `rel-busbar-${name}`)['spec'].template.spec;
      const container = pod.containers[0];
      const e = envOf(container);
      const cfg = load(materialise(docs, pod, container), e);
      expect(cfg.kafka.brokers, name).toEqual(['k1.example:9092', 'k2.example:9092']);
      expect(cfg.ops.port, name).toBe(container.ports[0].containerPort);
      if (name === 'historian') {
        expect(cfg).toMatchObject({ influx: { url: 'https://influx.example:8086', org: 'lab', token: 'chart-token' }, ops: { port: 19465 } });
        expect(e['BUSBAR_INFLUX__TOKEN_FILE']).toBe('/run/secrets/influx-token');
        expect(pod.volumes.find((v: Manifest) => v['name'] === 'influx-token').secret.secretName).toBe('rel-busbar-influx');
      }
      if (name === 'alerter') expect((cfg as ReturnType<typeof loadAlerterConfig>).rules.map((r) => r.id)).toEqual(['hot']);
      if (name === 'commander') expect((cfg as ReturnType<typeof loadCommanderConfig>).modbus!.devices[0]!.registerMap.points.length).toBeGreaterThan(0);
    }
  });

  it('renders a StatefulSet per collector instance with its state volume, serial devices and instance id', async () => {
    const serial = { name: 'rtu-bay3', protocol: 'modbus', configFile: 'collector-modbus.yaml', config: { devices: [{ id: 'psu-9', connection: { kind: 'rtu', path: '/dev/ttyUSB0', baudRate: 9600 }, unitId: 9, pollIntervalMs: 1000, mapFile: 'maps/power-supply.yaml' }] }, opsPort: 9474, state: { size: '2Gi', storageClassName: 'local-path' }, hostDevices: ['/dev/ttyUSB0'], privileged: true, resources: {}, nodeSelector: { 'busbar.io/bay': '3' }, tolerations: [] };
    const docs = await render(TOKEN_VALUES, { collectors: [{ name: 'modbus-1', protocol: 'modbus', configFile: 'collector-modbus.yaml', config: {}, opsPort: 9464, state: { size: '1Gi' }, hostDevices: [], resources: {}, nodeSelector: {}, tolerations: [] }, serial] });
    expect(docs.filter((d) => d['kind'] === 'StatefulSet').map((d) => d['metadata'].name).sort()).toEqual(['rel-busbar-collector-modbus-1', 'rel-busbar-collector-rtu-bay3']);
    const sts = find(docs, 'StatefulSet', 'rel-busbar-collector-rtu-bay3');
    expect(sts['spec'].replicas).toBe(1);
    expect(sts['spec'].volumeClaimTemplates[0].spec).toMatchObject({ accessModes: ['ReadWriteOnce'], storageClassName: 'local-path', resources: { requests: { storage: '2Gi' } } });
    const pod = sts['spec'].template.spec;
    const c = pod.containers[0];
    expect(pod.nodeSelector).toEqual({ 'busbar.io/bay': '3' });
    expect(c.volumeMounts).toEqual(expect.arrayContaining([{ name: 'state', mountPath: '/var/lib/busbar' }, { name: 'device-0', mountPath: '/dev/ttyUSB0' }]));
    expect(pod.volumes.find((v: Manifest) => v['name'] === 'device-0').hostPath).toEqual({ path: '/dev/ttyUSB0', type: 'CharDevice' });
    expect(c.securityContext).toEqual({ privileged: true });
    expect(sts['spec'].serviceName).toBe('rel-busbar-collector-rtu-bay3');
    find(docs, 'Service', 'rel-busbar-collector-rtu-bay3');
    const cfg = loadCollectorConfig(materialise(docs, pod, c), envOf(c));
    expect(cfg.instanceId).toBe('rel-collector-rtu-bay3');
    expect(cfg.ops.port).toBe(9474);
    expect(cfg.devices.map((d) => [d.id, d.connection])).toEqual([['psu-9', expect.objectContaining({ kind: 'rtu', path: '/dev/ttyUSB0' })]]);
  });

  it('uses an existing Secret instead of creating one', async () => {
    const docs = await render({ influx: { existingSecret: 'site-influx' } });
    expect(docs.some((d) => d['kind'] === 'Secret')).toBe(false);
    const pod = find(docs, 'Deployment', 'rel-busbar-historian')['spec'].template.spec;
    expect(pod.volumes.find((v: Manifest) => v['name'] === 'influx-token').secret.secretName).toBe('site-influx');
  });

  it('creates the topics in a pre-install/pre-upgrade Job, with the overrides as busbar-topics options', async () => {
    const docs = await render(TOKEN_VALUES, { topics: { replicationFactor: 3, partitions: { readings: 12 }, retentionMs: { readings: 1209600000 }, names: { readings: 'site.readings' } } });
    const job = find(docs, 'Job', 'rel-busbar-topics');
    expect(job['metadata'].annotations['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    const c = job['spec'].template.spec.containers[0];
    expect(c.args).toEqual(['services/topics/dist/main.js', 'create', '--timeout-s', '180', '--replication-factor', '3', '--partitions', 'readings=12', '--retention-ms', 'readings=1209600000']);
    expect(envOf(c)).toMatchObject({ BUSBAR_KAFKA__BROKERS: 'kafka:9092', BUSBAR_TOPICS__READINGS: 'site.readings' });
    // the same topic name reaches every service
    expect(envOf(find(docs, 'Deployment', 'rel-busbar-alerter')['spec'].template.spec.containers[0])['BUSBAR_TOPICS__READINGS']).toBe('site.readings');
    expect((await render(TOKEN_VALUES, { topics: { create: false } })).some((d) => d['kind'] === 'Job')).toBe(false);
  });

  it('exposes /metrics through a Service per component; the ServiceMonitor only when enabled', async () => {
    const docs = await render(TOKEN_VALUES);
    const services = docs.filter((d) => d['kind'] === 'Service');
    expect(services.map((s) => `${s['metadata'].name}:${s['spec'].ports[0].port}`).sort()).toEqual(['rel-busbar-alerter:9466', 'rel-busbar-collector-modbus-1:9464', 'rel-busbar-commander:9467', 'rel-busbar-historian:9465']);
    expect(docs.some((d) => d['kind'] === 'ServiceMonitor')).toBe(false);
    const monitor = find(await render(TOKEN_VALUES, { metrics: { serviceMonitor: { enabled: true, labels: { release: 'prom' } } } }), 'ServiceMonitor', 'rel-busbar-metrics');
    expect(monitor['spec']).toMatchObject({ selector: { matchLabels: { 'busbar.io/metrics': 'true' } }, endpoints: [{ port: 'ops', path: '/metrics' }] });
    expect(monitor['metadata'].labels.release).toBe('prom');
  });
});
