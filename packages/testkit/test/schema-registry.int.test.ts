import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSchemaRegistry } from '../src/index.js';
import type { SchemaRegistryHandle } from '../src/index.js';

describe('Testkit > schema registry (Apicurio, Confluent-compatible API)', () => {
  let registry: SchemaRegistryHandle;
  beforeAll(async () => {
    registry = await startSchemaRegistry();
  }, 120_000);
  afterAll(async () => {
    await registry?.dispose();
  });

  const post = async (path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    const res = await fetch(`${registry.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' }, body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  it('listens on 127.0.0.1 with an ephemeral port and serves the Confluent API under /apis/ccompat/v7', async () => {
    expect(registry.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(registry.port).not.toBe(8080);
    expect(registry.url).toBe(`${registry.origin}/apis/ccompat/v7`);
    const res = await fetch(`${registry.url}/subjects`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([]);
  });

  it('keeps registered schemas and ids across a restart on the same port (storage in its own directory)', async () => {
    const schema = JSON.stringify({ type: 'record', name: 'T', namespace: 'testkit', fields: [{ name: 'a', type: 'int' }] });
    const { status, json } = await post('/subjects/t-value/versions', { schema });
    expect(status).toBe(200);
    const id = json['id'] as number;
    await registry.restart();
    expect(registry.running()).toBe(true);
    const back = (await (await fetch(`${registry.url}/schemas/ids/${id}`)).json()) as { schema: string };
    expect(back.schema).toBe(schema); // the exact text: not canonicalised (see schema-registry.ts)
    expect((await post('/subjects/t-value/versions', { schema })).json['id']).toBe(id);
    expect(existsSync(registry.dir)).toBe(true);
  }, 120_000);
});
