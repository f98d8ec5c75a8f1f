/**
 * Helpers of the deploy tests (deploy/compose, deploy/helm, deploy/systemd, deploy/image): paths,
 * YAML as Compose and Kubernetes read it, and the cached tools built by scripts/infra.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';

/** Root of the repository. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** deploy/ */
export const DEPLOY_DIR = join(REPO_ROOT, 'deploy');
/** deploy/config: the service configurations every deployment mounts. */
export const CONFIG_DIR = join(DEPLOY_DIR, 'config');

/** Parses one YAML document with merge keys (`<<: *anchor`) resolved, as Compose does. */
export function readYaml(file: string): unknown {
  return parse(readFileSync(file, 'utf8'), { merge: true });
}

/** Parses a multi-document YAML stream (e.g. `helm template` output), dropping empty documents. */
export function parseYamlStream(text: string): Array<Record<string, unknown>> {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`YAML error: ${d.errors[0]!.message}`);
      return d.toJS() as Record<string, unknown> | null;
    })
    .filter((d): d is Record<string, unknown> => d !== null);
}

/** Same default as scripts/infra/env.sh `BUSBAR_HELM_VERSION`. */
export const HELM_VERSION = '4.3.2';

/**
 * The helm binary built by scripts/infra/build-helm.sh: `$BUSBAR_HELM_BIN`, else
 * `<BUSBAR_CACHE_DIR or ~/.cache/busbar>/helm/<version>/helm`.
 * @throws {Error} naming the script to run when it is absent.
 */
export function helmBinary(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env['BUSBAR_CACHE_DIR'] || join(homedir(), '.cache', 'busbar');
  const bin = env['BUSBAR_HELM_BIN'] || join(cache, 'helm', env['BUSBAR_HELM_VERSION'] || HELM_VERSION, 'helm');
  if (!existsSync(bin)) throw new Error(`helm not found at ${bin}: run \`bash scripts/infra/build-helm.sh\` (or npm run setup)`);
  return bin;
}

/** The services of deploy/config, their entry point (relative to the repository/image root) and default ops port. */
export const SERVICES = {
  'collector-modbus': { entry: 'services/collectors/modbus/dist/main.js', opsPort: 9464 },
  historian: { entry: 'services/historian/dist/main.js', opsPort: 9465 },
  alerter: { entry: 'services/alerter/dist/main.js', opsPort: 9466 },
  commander: { entry: 'services/commander/dist/main.js', opsPort: 9467 },
} as const;

/** A service name of {@link SERVICES}. */
export type ServiceName = keyof typeof SERVICES;
