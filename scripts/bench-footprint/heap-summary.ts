/**
 * Summary of a V8 heap snapshot (`.heapsnapshot`, the JSON that `--heapsnapshot-signal`, the
 * inspector's `HeapProfiler.takeHeapSnapshot` or `v8.writeHeapSnapshot` write): total self size and
 * the largest "constructors" by self size, grouped the way Chrome DevTools' Summary view groups them.
 *
 * Format facts (V8's `HeapSnapshotJSONSerializer`, the `snapshot.meta` section of every file):
 * `nodes` is a flat array of `meta.node_fields.length` numbers per node (`type`, `name`, `id`,
 * `self_size`, `edge_count`, …); `type` indexes `meta.node_types[0]`, `name` indexes `strings`.
 * Grouping: `object` and `native` nodes by their name (the constructor, e.g. `Buffer`, `Map`, or
 * `system / Context` for native ones); every other type as `(<type>)` — `(string)`, `(closure)`,
 * `(code)`, `(array)`, `(hidden)`… — with `concatenated string`/`sliced string` counted as `(string)`.
 * `synthetic` nodes (the roots) have no size and are skipped.
 */

/** The parts of a `.heapsnapshot` file this summary reads. */
export interface HeapSnapshotJson {
  readonly snapshot: { readonly meta: { readonly node_fields: readonly string[]; readonly node_types: readonly unknown[] } };
  readonly nodes: readonly number[];
  readonly strings: readonly string[];
}

/** One group of the summary. */
export interface HeapClass {
  /** Constructor name (`Map`, `Buffer`…) or `(<node type>)`. */
  readonly name: string;
  /** Number of nodes. */
  readonly count: number;
  /** Sum of their self sizes, bytes. */
  readonly selfBytes: number;
}

/** Summary of one snapshot. */
export interface HeapSummary {
  /** Nodes in the snapshot. */
  readonly nodes: number;
  /** Sum of every node's self size, bytes (≈ V8 heap used at the snapshot, after its full GC). */
  readonly totalSelfBytes: number;
  /** The `top` largest groups by self size, largest first. */
  readonly top: readonly HeapClass[];
}

const STRING_TYPES = new Set(['string', 'concatenated string', 'sliced string']);

/**
 * Summarises a parsed snapshot.
 * @param snapshot the parsed JSON of a `.heapsnapshot` file.
 * @param top how many groups to return (default 10).
 * @throws Error when `meta.node_fields` lacks `type`, `name` or `self_size`, or `nodes` is not a whole number of records.
 */
export function summariseHeapSnapshot(snapshot: HeapSnapshotJson, top = 10): HeapSummary {
  const fields = snapshot.snapshot.meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  if (typeAt < 0 || nameAt < 0 || sizeAt < 0) throw new Error(`heap snapshot: node_fields lacks type, name or self_size (${fields.join(', ')})`);
  const typeNames = snapshot.snapshot.meta.node_types[0];
  if (!Array.isArray(typeNames)) throw new Error('heap snapshot: node_types[0] is not the list of node type names');
  const { nodes, strings } = snapshot;
  if (width === 0 || nodes.length % width !== 0) throw new Error(`heap snapshot: ${nodes.length} node numbers is not a multiple of ${width} fields`);
  const groups = new Map<string, { count: number; selfBytes: number }>();
  let total = 0;
  for (let i = 0; i < nodes.length; i += width) {
    const type = String(typeNames[nodes[i + typeAt]!] ?? 'unknown');
    if (type === 'synthetic') continue;
    const size = nodes[i + sizeAt]!;
    total += size;
    const name = type === 'object' || type === 'native' ? (strings[nodes[i + nameAt]!] ?? '(unnamed)') : STRING_TYPES.has(type) ? '(string)' : `(${type})`;
    const g = groups.get(name);
    if (g) {
      g.count++;
      g.selfBytes += size;
    } else groups.set(name, { count: 1, selfBytes: size });
  }
  const sorted = [...groups].map(([name, g]) => ({ name, ...g })).sort((a, b) => b.selfBytes - a.selfBytes || a.name.localeCompare(b.name));
  return { nodes: nodes.length / width, totalSelfBytes: total, top: sorted.slice(0, top) };
}
