/**
 * `busbar config check FILE [--service NAME]`: loads a service's configuration file with that
 * service's own loader (the same validation as at its start: defaults, environment overrides,
 * device files) and reports the result. A thin call per service, so a dedicated validation
 * function can replace it later.
 */
import { basename } from 'node:path';
import type { CliIo } from './io.js';
import { EXIT } from './io.js';

type Loader = (file: string, env: NodeJS.ProcessEnv) => Promise<unknown>;

/** The services whose configuration can be checked, with their loaders (imported on demand). */
const LOADERS: Record<string, Loader> = {
  commander: async (f, env) => (await import('@busbar/commander')).loadCommanderConfig(f, env),
  historian: async (f, env) => (await import('@busbar/historian')).loadHistorianConfig(f, env),
  alerter: async (f, env) => (await import('@busbar/alerter')).loadAlerterConfig(f, env),
  'collector-modbus': async (f, env) => (await import('@busbar/collector-modbus')).loadCollectorConfig(f, env),
  'collector-arbin': async (f, env) => (await import('@busbar/collector-arbin')).loadCollectorConfig(f, env),
  'collector-maccor': async (f, env) => (await import('@busbar/collector-maccor')).loadCollectorConfig(f, env),
  'collector-corus': async (f, env) => (await import('@busbar/collector-corus')).loadCollectorConfig(f, env),
  'collector-basytec': async (f, env) => (await import('@busbar/collector-basytec')).loadCollectorConfig(f, env),
  'collector-safety-rig': async (f, env) => (await import('@busbar/collector-safety-rig')).loadCollectorConfig(f, env),
};

/** Service names `--service` takes. */
export const SERVICES = Object.keys(LOADERS);

/** The service a file name suggests (`commander.yaml`, `collector-modbus.yaml`, `modbus-collector.yml`). */
export function serviceOf(file: string): string | undefined {
  const name = basename(file).toLowerCase();
  const collector = SERVICES.filter((s) => s.startsWith('collector-')).find((s) => name.includes(s.slice('collector-'.length)) && name.includes('collector'));
  return collector ?? SERVICES.find((s) => !s.startsWith('collector-') && name.includes(s));
}

/**
 * Checks one file.
 *
 * @returns {@link EXIT}.ok when valid; {@link EXIT}.usage (2) when invalid or the service is unknown, the loader's message on standard error.
 */
export async function checkConfig(file: string, service: string | undefined, io: CliIo): Promise<number> {
  const name = service ?? serviceOf(file);
  const load = name === undefined ? undefined : LOADERS[name];
  if (name === undefined || load === undefined) {
    io.err(`busbar: ${name === undefined ? `cannot tell which service ${file} configures` : `unknown service ${name}`}: give --service, one of ${SERVICES.join(', ')}`);
    return EXIT.usage;
  }
  try {
    await load(file, io.env);
  } catch (err) {
    io.err(`busbar: ${file} is not a valid ${name} configuration: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT.usage;
  }
  io.out(`${file}: valid ${name} configuration`);
  return EXIT.ok;
}
