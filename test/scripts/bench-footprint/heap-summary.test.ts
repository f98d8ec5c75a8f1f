import { describe, expect, it } from 'vitest';
import { summariseHeapSnapshot } from '../../../scripts/bench-footprint/heap-summary.js';
import type { HeapSnapshotJson } from '../../../scripts/bench-footprint/heap-summary.js';

/** The node fields and types V8 writes (Node 24), in V8's order. */
const NODE_FIELDS = ['type', 'name', 'id', 'self_size', 'edge_count', 'trace_node_id', 'detachedness'];
const NODE_TYPES = [['hidden', 'array', 'string', 'object', 'code', 'closure', 'regexp', 'number', 'native', 'synthetic', 'concatenated string', 'sliced string', 'symbol', 'bigint', 'object shape'], 'string', 'number', 'number', 'number', 'number', 'number'];

/** A snapshot of the given nodes: [type name, name, self size]. */
function snapshot(nodes: readonly (readonly [string, string, number])[]): HeapSnapshotJson {
  const strings: string[] = [];
  const flat: number[] = [];
  nodes.forEach(([type, name, size], i) => {
    let s = strings.indexOf(name);
    if (s < 0) s = strings.push(name) - 1;
    flat.push((NODE_TYPES[0] as string[]).indexOf(type), s, i * 2 + 1, size, 0, 0, 0);
  });
  return { snapshot: { meta: { node_fields: NODE_FIELDS, node_types: NODE_TYPES } }, nodes: flat, strings };
}

describe('summariseHeapSnapshot', () => {
  const snap = snapshot([
    ['synthetic', '(GC roots)', 0],
    ['object', 'Map', 100],
    ['object', 'Map', 60],
    ['string', 'hello', 40],
    ['concatenated string', 'a+b', 30],
    ['sliced string', 'ell', 20],
    ['native', 'system / JSArrayBufferData', 500],
    ['closure', 'onData', 32],
    ['code', 'onData', 48],
    ['object', 'Buffer', 48],
  ]);

  it('groups objects and native nodes by name, other types by type, strings together, and sorts by self size', () => {
    const s = summariseHeapSnapshot(snap);
    expect(s.nodes).toBe(10);
    expect(s.totalSelfBytes).toBe(100 + 60 + 40 + 30 + 20 + 500 + 32 + 48 + 48);
    expect(s.top).toEqual([
      { name: 'system / JSArrayBufferData', count: 1, selfBytes: 500 },
      { name: 'Map', count: 2, selfBytes: 160 },
      { name: '(string)', count: 3, selfBytes: 90 },
      { name: '(code)', count: 1, selfBytes: 48 },
      { name: 'Buffer', count: 1, selfBytes: 48 },
      { name: '(closure)', count: 1, selfBytes: 32 },
    ]);
  });

  it('returns only the top n groups', () => {
    expect(summariseHeapSnapshot(snap, 2).top.map((c) => c.name)).toEqual(['system / JSArrayBufferData', 'Map']);
  });

  it('finds the fields by name when V8 orders them differently', () => {
    const s = snapshot([['object', 'Set', 10]]);
    const reordered: HeapSnapshotJson = { ...s, snapshot: { meta: { node_fields: ['name', 'self_size', 'type', 'id', 'edge_count', 'trace_node_id', 'detachedness'], node_types: NODE_TYPES } }, nodes: [s.nodes[1]!, s.nodes[3]!, s.nodes[0]!, 1, 0, 0, 0] };
    expect(summariseHeapSnapshot(reordered).top).toEqual([{ name: 'Set', count: 1, selfBytes: 10 }]);
  });

  it('refuses a snapshot without self sizes or with a truncated node array', () => {
    const s = snapshot([['object', 'Set', 10]]);
    expect(() => summariseHeapSnapshot({ ...s, snapshot: { meta: { node_fields: ['type', 'name'], node_types: NODE_TYPES } } })).toThrow(/self_size/);
    expect(() => summariseHeapSnapshot({ ...s, nodes: s.nodes.slice(0, 5) })).toThrow(/not a multiple of 7/);
  });
});
