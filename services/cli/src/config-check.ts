/**
 * `busbar config check FILE [--service NAME]`: validates a configuration file with `@busbar/runtime`'s
 * `checkConfigFile` through each service's own loader (the same validation as at its start:
 * defaults, environment overrides, device files; every section refuses unknown keys, each bad
 * field named, list items by id). The service is the one named, else the one the file name
 * suggests, else detected (the service that accepts the file; when none does, the closest one's
 * problems).
 */
import { basename } from 'node:path';
import type { ConfigLoader } from '@busbar/runtime';
import { checkConfigFile } from '@busbar/runtime';
import type { CliIo } from './io.js';
import { EXIT } from './io.js';

/** The services whose configuration can be checked, with their loaders (imported on demand). */
const LOADERS: Record<string, () => Promise<ConfigLoader>> = {
  commander: async () => (await import('@busbar/commander')).loadCommanderConfig,
  historian: async () => (await import('@busbar/historian')).loadHistorianConfig,
  alerter: async () => (await import('@busbar/alerter')).loadAlerterConfig,
  'collector-modbus': async () => (await import('@busbar/collector-modbus')).loadCollectorConfig,
  'collector-arbin': async () => (await import('@busbar/collector-arbin')).loadCollectorConfig,
  'collector-maccor': async () => (await import('@busbar/collector-maccor')).loadCollectorConfig,
  'collector-corus': async () => (await import('@busbar/collector-corus')).loadCollectorConfig,
  'collector-basytec': async () => (await import('@busbar/collector-basytec')).loadCollectorConfig,
  'collector-safety-rig': async () => (await import('@busbar/collector-safety-rig')).loadCollectorConfig,
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
  if (name !== undefined && LOADERS[name] === undefined) {
    io.err(`busbar: unknown service ${name}: give --service, one of ${SERVICES.join(', ')}`);
    return EXIT.usage;
  }
  const wanted = name === undefined ? SERVICES : [name];
  const loaders = Object.fromEntries(await Promise.all(wanted.map(async (s) => [s, await LOADERS[s]!()] as const)));
  try {
    const found = checkConfigFile(file, loaders, { service: name, env: io.env });
    io.out(`${file}: valid ${found.service} configuration${found.alsoValidFor.length > 0 ? ` (also valid for ${found.alsoValidFor.join(', ')})` : ''}`);
    return EXIT.ok;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    io.err(name === undefined ? `busbar: ${message}` : `busbar: ${file} is not a valid ${name} configuration: ${message}`);
    return EXIT.usage;
  }
}
