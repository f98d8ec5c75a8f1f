/** The defaults the deploy tests assume are those of the scripts that build the tools and the image. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { imageEnv } from '../../deploy/local/containers.js';
import { HELM_VERSION, REPO_ROOT, helmBinary } from './support.js';

describe('deploy test defaults', () => {
  it('helm: the version and path of scripts/infra/env.sh', () => {
    const sh = readFileSync(join(REPO_ROOT, 'scripts/infra/env.sh'), 'utf8');
    expect(sh).toContain(`BUSBAR_HELM_VERSION="\${BUSBAR_HELM_VERSION:-${HELM_VERSION}}"`);
    expect(sh).toContain('BUSBAR_HELM_BIN="$BUSBAR_CACHE_DIR/helm/$BUSBAR_HELM_VERSION/helm"');
    expect(() => helmBinary({ BUSBAR_CACHE_DIR: '/nonexistent-busbar-cache' })).toThrow(`helm not found at /nonexistent-busbar-cache/helm/${HELM_VERSION}/helm: run \`bash scripts/infra/build-helm.sh\``);
  });

  it('image: the name, version and storage of scripts/image/env.sh', () => {
    const sh = readFileSync(join(REPO_ROOT, 'scripts/image/env.sh'), 'utf8');
    const env = imageEnv({ BUSBAR_CACHE_DIR: '/c' });
    expect(sh).toContain(`BUSBAR_IMAGE_VERSION="\${BUSBAR_IMAGE_VERSION:-${env.version}}"`);
    expect(sh).toContain('BUSBAR_IMAGE="${BUSBAR_IMAGE:-localhost/busbar:$BUSBAR_IMAGE_VERSION}"');
    expect(env.image).toBe(`localhost/busbar:${env.version}`);
    expect(sh).toContain('BUSBAR_CONTAINERS_ROOT="${BUSBAR_CONTAINERS_ROOT:-$BUSBAR_CACHE_DIR/containers/storage}"');
    expect(sh).toContain('BUSBAR_CONTAINERS_RUNROOT="${BUSBAR_CONTAINERS_RUNROOT:-$BUSBAR_CACHE_DIR/containers/run}"');
    expect([env.root, env.runroot]).toEqual(['/c/containers/storage', '/c/containers/run']);
    expect(imageEnv({ BUSBAR_IMAGE_VERSION: '0.2.0' }).image).toBe('localhost/busbar:0.2.0');
  });
});
