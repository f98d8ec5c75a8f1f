/**
 * The local stack: real servers from @busbar/testkit (Kafka, InfluxDB, an SMTP sink), simulated
 * devices from "device plugins", and every Busbar service as a separate process started from its
 * built `dist/main.js` with a generated configuration file — the way an operator runs them.
 *
 * Layout of the run directory (e.g. `.busbar/demo/`):
 *   config/<service>.yaml   the generated configuration of each service
 *   logs/<service>.log      its JSON-lines log (stdout + stderr)
 *   mail/<n>.eml            every message the SMTP sink received
 *
 * A device plugin (see `plugins/`) starts simulators and says which collector processes read them
 * (with their configuration and, when they need secrets, their own environment) and which devices
 * the commander may write to. The demo passes the Modbus, Arbin, Maccor and Corus plugins.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { stringify } from 'yaml';
import { DEFAULT_TOPICS } from '@busbar/kafka';
import { busbarTopics, createBusbarTopics } from '@busbar/topics';
import { startInflux, startKafka, startSmtp } from '@busbar/testkit';
import type { InfluxHandle, KafkaHandle, SmtpHandle } from '@busbar/testkit';

/** The repository root (this file is `deploy/local/stack.ts`). */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** Topic names every service uses: the defaults of `@busbar/kafka`. */
export type Topics = typeof DEFAULT_TOPICS;

/** The `kafka:` and `topics:` sections shared by every generated configuration. */
export interface CommonConfig {
  readonly kafka: { readonly brokers: readonly string[] };
  readonly topics: Topics;
}

/** A service process to run: `node <entry> --config <runDir>/config/<name>.yaml`. */
export interface ServiceSpec {
  /** Unique name: names its configuration and log files (`collector-modbus`, `historian`...). */
  readonly name: string;
  /** Entry point relative to the repository root, e.g. `services/historian/dist/main.js`. */
  readonly entry: string;
  /** The configuration written as YAML (`ops.port` is forced to 0 and read back from the log). */
  readonly config: Record<string, unknown>;
  /**
   * Variables set in this service's environment only, over the launcher's (whose `BUSBAR_*` are
   * dropped, see {@link StackOptions.logLevel}); e.g. `ARBIN_CTI_USERNAME` / `ARBIN_CTI_PASSWORD`
   * for `collector-arbin`. Never written to the configuration file or the log.
   */
  readonly env?: Readonly<Record<string, string>>;
}

/** Devices started by a plugin: simulators plus what the services need to know about them. */
export interface StartedDevices<S = unknown> {
  /** The plugin's name. */
  readonly plugin: string;
  /** The simulators, for the scenario (force inputs, read state). */
  readonly simulators: S;
  /** Collector processes reading these devices. */
  collectors(common: CommonConfig): ServiceSpec[];
  /**
   * Sections merged into the commander's configuration (e.g. `{ modbus: { devicesFile: 'modbus-devices.yaml' } }`,
   * or `{ maccor: { devices: [...] } }` — `devices` arrays under the same key from several plugins are
   * concatenated). Absent: the commander does not write to these devices.
   */
  commander?(): Record<string, { devices: unknown[] } | { devicesFile: string }>;
  /**
   * Device files written into the configuration folder before the services start (file name →
   * the `devices:` list): one file per protocol that both the collector and the commander read
   * (`devicesFile:`), so their limits cannot drift apart.
   */
  deviceFiles?(): Record<string, unknown[]>;
  /** One line per device for the printout (`psu-1  Modbus TCP 127.0.0.1:40123`). */
  describe(): string[];
  /** Stops the simulators. */
  close(): Promise<void>;
}

/** A kind of simulated device: starts its simulators on 127.0.0.1. */
export interface DevicePlugin<S = unknown> {
  /** Name shown in the printout (`modbus power supply`). */
  readonly name: string;
  /** Starts the simulators. */
  start(): Promise<StartedDevices<S>>;
}

/** Options of {@link startStack}. */
export interface StackOptions {
  /** Run directory (configs, logs, mail); emptied at start. */
  readonly runDir: string;
  /** Device plugins (at least one). */
  readonly plugins: readonly DevicePlugin[];
  /** Historian: `false` = not started; otherwise overrides of its `influx:` section (e.g. `batchLines`). */
  readonly historian?: false | Record<string, unknown>;
  /** Alerter rules; `false` or absent = no alerter (then no SMTP sink either). */
  readonly alerterRules?: false | readonly Record<string, unknown>[];
  /**
   * Sections replacing those generated for the alerter (e.g. `email` with a password file and
   * `requireTLS`, `webhooks`), given the SMTP sink's host and port. @default none
   */
  readonly alerterSections?: (smtp: { readonly host: string; readonly port: number }) => Record<string, unknown>;
  /** Start the commander (needs a plugin that contributes commander devices). @default true */
  readonly commander?: boolean;
  /** `BUSBAR_LOG_LEVEL` of the services (`info` or more verbose: the ops port is read from an info line). @default 'info' */
  readonly logLevel?: string;
  /** Progress lines (`starting Kafka`...). @default nothing */
  readonly onProgress?: (line: string) => void;
  /**
   * Run each service in a container of the Busbar image (scripts/image/build.sh) instead of a child
   * `node` process; Kafka, InfluxDB, the SMTP sink and the simulators stay native. @default child processes
   */
  readonly containers?: ContainerRuntime;
}

/**
 * How {@link startStack} runs services in containers: `podman run --rm` of the image with the host
 * network (so the generated 127.0.0.1 addresses hold), the run directory mounted at the same path
 * (the generated files name absolute paths; the Corus cursor is written there), the launcher's
 * uid:gid (the token file is 0600), and the service's environment passed by name (`-e NAME`, values
 * never on a command line). podman forwards SIGTERM to the container, where node is PID 1.
 */
export interface ContainerRuntime {
  /** The podman command and its global flags, e.g. `['podman', '--root', ...]` (deploy/local/containers.ts). */
  readonly podman: readonly string[];
  /** Flags of `podman run` (network, ulimits...). */
  readonly runFlags: readonly string[];
  /** Image name, e.g. `localhost/busbar:0.1.0`. */
  readonly image: string;
}

/** A running service process. */
export interface ServiceProcess {
  /** Its name (see {@link ServiceSpec.name}). */
  readonly name: string;
  /** OS process id. */
  readonly pid: number;
  /** Generated configuration file. */
  readonly configFile: string;
  /** Its log (stdout and stderr). */
  readonly logFile: string;
  /** `http://127.0.0.1:<port>` of its ops server. */
  readonly opsUrl: string;
  /** `<opsUrl>/metrics`. */
  readonly metricsUrl: string;
  /** `<opsUrl>/healthz`. */
  readonly healthUrl: string;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Whether it still runs. */
  running(): boolean;
  /** SIGTERM, SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/** The whole local stack. */
export interface Stack {
  readonly runDir: string;
  readonly topics: Topics;
  readonly kafka: KafkaHandle;
  readonly influx: InfluxHandle;
  /** The SMTP sink (only with an alerter). */
  readonly smtp: SmtpHandle | undefined;
  /** Where the SMTP sink saves each message. */
  readonly mailDir: string;
  /** Devices per plugin, in the order of {@link StackOptions.plugins}. */
  readonly devices: readonly StartedDevices[];
  /** Service processes by name, in start order. */
  readonly services: ReadonlyMap<string, ServiceProcess>;
  /**
   * Stops everything: services (SIGTERM), simulators, SMTP, InfluxDB, Kafka. Idempotent.
   * @returns each service's exit code.
   */
  stop(): Promise<Record<string, number | null>>;
}

const SERVICE_ENTRIES = {
  historian: 'services/historian/dist/main.js',
  alerter: 'services/alerter/dist/main.js',
  commander: 'services/commander/dist/main.js',
} as const;

/** Every entry point the stack may start; checked before anything is started. */
export function missingBuilds(entries: readonly string[]): string[] {
  return entries.filter((e) => !existsSync(join(REPO_ROOT, e)));
}

/**
 * Starts servers, simulators and services. On failure everything started so far is stopped and
 * the error (with the failing service's log tail) is thrown.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const progress = options.onProgress ?? (() => undefined);
  const runDir = resolve(options.runDir);
  rmSync(runDir, { recursive: true, force: true });
  const configDir = join(runDir, 'config');
  const logDir = join(runDir, 'logs');
  const mailDir = join(runDir, 'mail');
  for (const d of [configDir, logDir, mailDir]) mkdirSync(d, { recursive: true });

  const cleanups: (() => Promise<unknown>)[] = [];
  const services = new Map<string, ServiceProcess>();
  let stopping: Promise<Record<string, number | null>> | undefined;
  const stop = (): Promise<Record<string, number | null>> => {
    stopping ??= (async () => {
      const codes: Record<string, number | null> = {};
      // services first (they flush and commit), in reverse start order
      for (const s of [...services.values()].reverse()) codes[s.name] = await s.stop();
      for (const c of cleanups.reverse()) await c().catch(() => undefined);
      return codes;
    })();
    return stopping;
  };

  try {
    progress('starting Kafka, InfluxDB' + (options.alerterRules ? ', the SMTP sink' : '') + ' and the simulators');
    const withAlerter = options.alerterRules !== undefined && options.alerterRules !== false;
    const [kafka, influx, smtp, devices] = await Promise.all([
      startKafka().then((k) => (cleanups.push(() => k.dispose()), k)),
      startInflux({ bucket: 'busbar' }).then((i) => (cleanups.push(() => i.dispose()), i)),
      withAlerter ? startSmtp({ saveDir: mailDir }).then((s) => (cleanups.push(() => s.stop()), s)) : Promise.resolve(undefined),
      Promise.all(options.plugins.map((p) => p.start().then((d) => (cleanups.push(() => d.close()), d)))),
    ]);
    const topics = DEFAULT_TOPICS;
    const admin = new Kafka({ clientId: 'busbar-local-stack', brokers: kafka.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      // what `busbar-topics create` does: Busbar's partitions, retention and cleanup policy
      await createBusbarTopics(admin, busbarTopics(topics));
    } finally {
      await admin.disconnect();
    }
    const common: CommonConfig = { kafka: { brokers: kafka.brokers }, topics };

    const specs: ServiceSpec[] = devices.flatMap((d) => d.collectors(common));
    if (options.historian !== false) {
      specs.push({
        name: 'historian',
        entry: SERVICE_ENTRIES.historian,
        // the token in a file of its own (mode 0600), as a deployment would keep it out of the configuration
        config: { ...common, groupId: 'busbar-historian', influx: { url: influx.url, org: influx.org, bucket: influx.bucket, tokenFile: writeSecret(join(configDir, 'influx.token'), influx.token), ...(options.historian ?? {}) } },
      });
    }
    if (withAlerter && smtp) {
      specs.push({
        name: 'alerter',
        entry: SERVICE_ENTRIES.alerter,
        config: { ...common, groupId: 'busbar-alerter', rules: options.alerterRules, email: { smtp: { host: smtp.host, port: smtp.port }, from: 'busbar@lab.localhost', to: ['oncall@lab.localhost'] }, ...options.alerterSections?.(smtp) },
      });
    }
    for (const d of devices) {
      for (const [name, list] of Object.entries(d.deviceFiles?.() ?? {})) writeFileSync(join(configDir, name), stringify({ devices: list }));
    }
    if (options.commander !== false) {
      const sections: Record<string, { devices: unknown[] } | { devicesFile: string }> = {};
      for (const d of devices) {
        for (const [key, section] of Object.entries(d.commander?.() ?? {})) {
          const prev = sections[key];
          if ('devicesFile' in section || (prev !== undefined && 'devicesFile' in prev)) {
            if (prev !== undefined) throw new Error(`two plugins give the commander's ${key} section; a device file section cannot be merged`);
            sections[key] = section;
          } else {
            sections[key] = { devices: [...(prev && 'devices' in prev ? prev.devices : []), ...section.devices] };
          }
        }
      }
      if (Object.keys(sections).length > 0) specs.push({ name: 'commander', entry: SERVICE_ENTRIES.commander, config: { ...common, groupId: 'busbar-commander', policy: { requireSignature: false }, ...sections } }); // the demo's commands are unsigned (docs/commands.md, migration)
    }
    // durable state (collector buffers, the commander's journal) inside this run's directory, never shared with another run
    const stateDir = join(runDir, 'state');
    for (const spec of specs) {
      if (spec.name.startsWith('collector-') && spec.config.buffer === undefined) spec.config.buffer = { path: join(stateDir, `${spec.name}.buffer.sqlite`) };
      if (spec.name === 'commander' && spec.config.journal === undefined) spec.config.journal = { path: join(stateDir, 'commander.journal.sqlite') };
    }
    const missing = missingBuilds(specs.map((s) => s.entry));
    if (missing.length > 0) throw new Error(`not built: ${missing.join(', ')} — run \`npx turbo run build\` (npm run setup does) first`);

    progress(`starting ${specs.map((s) => s.name).join(', ')} as ${options.containers ? `containers of ${options.containers.image}` : 'separate processes'}`);
    const started = await Promise.all(specs.map((spec) => startService(spec, { runDir, configDir, logDir, logLevel: options.logLevel ?? 'info', containers: options.containers })));
    for (const s of started) services.set(s.name, s);
    return { runDir, topics, kafka, influx, smtp, mailDir, devices, services, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * The environment of a service: ours without `BUSBAR_*` configuration overrides (the file is the
 * whole truth), `BUSBAR_LOG_LEVEL` = `level`, then the spec's own variables ({@link ServiceSpec.env}).
 */
function serviceEnv(level: string, own: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('BUSBAR_')) env[k] = v;
  env.BUSBAR_LOG_LEVEL = level;
  return { ...env, ...own };
}

function writeSecret(file: string, secret: string): string {
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return file;
}

/** The last `n` lines of a file. */
export function tail(file: string, n = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * V8 flags of a service, as the deploy files set them (systemd units, Compose, the chart): the young
 * generation capped at 4 MiB per semi-space for the historian and the collectors (README "Performance").
 * `BUSBAR_STACK_V8_DEFAULTS=1` leaves V8's defaults (to measure the difference).
 */
function nodeFlagsOf(serviceName: string): string[] {
  if (process.env.BUSBAR_STACK_V8_DEFAULTS === '1') return [];
  return serviceName === 'historian' || serviceName.startsWith('collector-') ? ['--max-semi-space-size=4'] : [];
}

/** The command line of a service: `node <flags> <entry> --config <file>`, or `podman run ... <image> <flags> <entry> --config <file>`. */
function serviceCommand(spec: ServiceSpec, configFile: string, runDir: string, env: NodeJS.ProcessEnv, containers: ContainerRuntime | undefined): { command: string; args: string[]; container?: string } {
  if (!containers) return { command: process.execPath, args: [...nodeFlagsOf(spec.name), join(REPO_ROOT, spec.entry), '--config', configFile] };
  const container = `busbar-stack-${spec.name}-${process.pid}`;
  const names = Object.keys(env).filter((k) => k === 'BUSBAR_LOG_LEVEL' || Object.hasOwn(spec.env ?? {}, k));
  const [command, ...global] = containers.podman;
  const args = [
    ...global, 'run', '--rm', '--name', container, ...containers.runFlags,
    '--user', `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`, '-v', `${runDir}:${runDir}`,
    ...names.flatMap((n) => ['-e', n]), containers.image, ...nodeFlagsOf(spec.name), spec.entry, '--config', configFile,
  ];
  return { command: command ?? 'podman', args, container };
}

/** Removes a service's container (after a SIGKILL of `podman run`, which leaves it running). */
function removeContainer(containers: ContainerRuntime | undefined, container: string | undefined): void {
  if (!containers || !container) return;
  const [command, ...global] = containers.podman;
  spawn(command ?? 'podman', [...global, 'rm', '-f', container], { stdio: 'ignore', detached: true }).on('error', () => undefined).unref();
}

async function startService(spec: ServiceSpec, dirs: { runDir: string; configDir: string; logDir: string; logLevel: string; containers?: ContainerRuntime | undefined }): Promise<ServiceProcess> {
  const configFile = join(dirs.configDir, `${spec.name}.yaml`);
  const logFile = join(dirs.logDir, `${spec.name}.log`);
  const ops = { ...((spec.config.ops as object | undefined) ?? {}), host: '127.0.0.1', port: 0 };
  writeFileSync(configFile, `# generated by deploy/local/stack.ts for ${spec.name}\n${stringify({ ...spec.config, ops })}`);
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  const env = serviceEnv(dirs.logLevel, spec.env);
  const cmd = serviceCommand(spec, configFile, dirs.runDir, env, dirs.containers);
  try {
    // own process group: a Ctrl-C in the terminal reaches the launcher only, which stops the
    // services in order with SIGTERM
    child = spawn(cmd.command, cmd.args, { cwd: REPO_ROOT, env, detached: true, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${spec.name}: could not spawn ${cmd.command}`);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((res) => {
    child.once('exit', (code) => res((exitCode = code)));
    child.once('error', () => res((exitCode = null)));
  });
  // If the launcher dies without stopping us (SIGKILL), a watchdog shell blocked on a pipe from the
  // launcher sends SIGTERM to the service, then SIGKILL 10 s later.
  const watchdog = spawn('sh', ['-c', 'read -r _; kill -TERM "$1" 2>/dev/null; sleep 10; kill -9 "$1" 2>/dev/null', 'busbar-stack-watchdog', String(pid)], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  watchdog.on('error', () => undefined);
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  const onExit = (): void => {
    if (exitCode === undefined) process.kill(pid, 'SIGTERM');
  };
  process.once('exit', onExit);
  void exited.then(() => {
    process.off('exit', onExit);
    watchdog.kill('SIGKILL');
  });

  let opsUrl: string;
  try {
    // a container starts slower (vfs copies the image's root for each one)
    opsUrl = await waitForOps(spec.name, logFile, () => exitCode !== undefined, dirs.containers ? 180_000 : 60_000);
  } catch (err) {
    if (exitCode === undefined) process.kill(pid, 'SIGKILL');
    removeContainer(dirs.containers, cmd.container);
    throw err;
  }
  let stopping: Promise<number | null> | undefined;
  return {
    name: spec.name,
    pid,
    configFile,
    logFile,
    opsUrl,
    metricsUrl: `${opsUrl}/metrics`,
    healthUrl: `${opsUrl}/healthz`,
    exited,
    running: () => exitCode === undefined,
    stop(graceMs = 20_000) {
      stopping ??= (async () => {
        if (exitCode !== undefined) return exitCode;
        process.kill(pid, 'SIGTERM');
        const timer = setTimeout(() => {
          if (exitCode === undefined) process.kill(pid, 'SIGKILL');
          removeContainer(dirs.containers, cmd.container);
        }, graceMs);
        try {
          return await exited;
        } finally {
          clearTimeout(timer);
        }
      })();
      return stopping;
    },
  };
}

/** Waits for the runtime's "started" line (`{"ops":"http://127.0.0.1:<port>",...}`) in the log. */
async function waitForOps(name: string, logFile: string, exited: () => boolean, timeoutMs: number): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    let text = '';
    try {
      text = readFileSync(logFile, 'utf8');
    } catch {
      // not yet written
    }
    for (const line of text.split('\n')) {
      if (!line.includes('"ops"')) continue;
      try {
        const rec = JSON.parse(line) as { ops?: unknown };
        if (typeof rec.ops === 'string') return rec.ops;
      } catch {
        // not JSON
      }
    }
    if (exited()) throw new Error(`${name} exited during start-up; its log (${relative(process.cwd(), logFile)}) ends with:\n${tail(logFile)}`);
    if (Date.now() > end) throw new Error(`${name} did not report its ops port within ${timeoutMs} ms; its log ends with:\n${tail(logFile)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
