import { mkdtemp, readdir, readFile, rm, writeFile, chmod, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JsonFileCursorStore, MemoryCursorStore } from '../../src/client/cursor-store.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'busbar-basytec-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('JsonFileCursorStore', () => {
  it('survives a restart (a new instance reads what the old one wrote) and leaves no temporary files', async () => {
    const path = join(dir, 'sub', 'cursors.json');
    const a = await JsonFileCursorStore.open(path);
    expect(await a.get('k')).toBeUndefined();
    await a.setMany({ 'basytec.file:x.txt': { ino: 5, offset: 1234, lineNumber: 20, headerLine: '~Time[s]\tDataSet' }, 'basytec.test:t': 19 });
    await a.delete(['basytec.test:t']);
    const b = await JsonFileCursorStore.open(path);
    expect(await b.get('basytec.file:x.txt')).toEqual({ ino: 5, offset: 1234, lineNumber: 20, headerLine: '~Time[s]\tDataSet' });
    expect(await b.get('basytec.test:t')).toBeUndefined();
    expect(b.entries('basytec.file:').map(([k]) => k)).toEqual(['basytec.file:x.txt']);
    expect(await readdir(join(dir, 'sub'))).toEqual(['cursors.json']);
  });

  it('serialises concurrent writes: the last one wins in the file', async () => {
    const path = join(dir, 'c.json');
    const s = await JsonFileCursorStore.open(path);
    await Promise.all(Array.from({ length: 50 }, (_, i) => s.setMany({ n: i })));
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ version: 1, cursors: { n: 49 } });
  });

  it('refuses a corrupt or foreign file with BB_BASYTEC_CURSOR_STORE_FAILED instead of starting over silently', async () => {
    const path = join(dir, 'c.json');
    await writeFile(path, '{"version":1,"cursors":');
    await expect(JsonFileCursorStore.open(path)).rejects.toMatchObject({ code: 'BB_BASYTEC_CURSOR_STORE_FAILED', message: expect.stringContaining('is not valid') });
    await writeFile(path, '{"something":"else"}');
    await expect(JsonFileCursorStore.open(path)).rejects.toMatchObject({ code: 'BB_BASYTEC_CURSOR_STORE_FAILED', message: expect.stringContaining('not a version-1 cursor file') });
  });

  it('a failed write rejects with BB_BASYTEC_CURSOR_STORE_FAILED and keeps the old file intact', async () => {
    if (process.getuid?.() === 0) {
      // root ignores directory permissions: make the target a directory so rename fails instead
      const path = join(dir, 'c.json');
      const s = await JsonFileCursorStore.open(path);
      await mkdir(path);
      await expect(s.setMany({ a: 1 })).rejects.toMatchObject({ code: 'BB_BASYTEC_CURSOR_STORE_FAILED' });
      expect(await readdir(dir)).toEqual(['c.json']);
      return;
    }
    const path = join(dir, 'c.json');
    const s = await JsonFileCursorStore.open(path);
    await s.setMany({ a: 1 });
    await chmod(dir, 0o500);
    try {
      await expect(s.setMany({ a: 2 })).rejects.toMatchObject({ code: 'BB_BASYTEC_CURSOR_STORE_FAILED' });
    } finally {
      await chmod(dir, 0o700);
    }
    expect(JSON.parse(await readFile(path, 'utf8')).cursors).toEqual({ a: 1 });
  });
});

describe('MemoryCursorStore', () => {
  it('gets, sets and deletes', async () => {
    const m = new MemoryCursorStore();
    await m.setMany({ a: 1, b: 'x' });
    await m.delete(['a']);
    expect([await m.get('a'), await m.get('b')]).toEqual([undefined, 'x']);
  });
});
