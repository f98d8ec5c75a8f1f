/**
 * CANopen-style identifiers of the safety rig's BMUs (safety-rig reference §3.1–§3.2): node id n = 1…15
 * is the BMU number; its PDOs use COB-ID = PDO base + n with the bases below. Pure.
 */
import { CanError } from '../errors.js';

/** PDO bases of the rig, in PDO order 1..8 (reference §3.2: 0x180/0x280/0x380/0x480 + n, 0x190/0x290/0x390/0x490 + n). */
export const RIG_BMU_PDO_BASES: readonly number[] = [0x180, 0x280, 0x380, 0x480, 0x190, 0x290, 0x390, 0x490];
/** CANopen SYNC COB-ID (reference §3.2: `SYNC` 0x080, DLC 1, the original sends 0xFF). */
export const SYNC_COB_ID = 0x080;

/** Where discovery looks: node id range and PDO bases. */
export interface NodeIdRange {
  /** Lowest node id. @default 1 */
  readonly minNode?: number;
  /** Highest node id. @default 15 (the rig's BMU count, reference §3.1) */
  readonly maxNode?: number;
  /** PDO bases. @default {@link RIG_BMU_PDO_BASES} */
  readonly pdoBases?: readonly number[];
}

/** A frame id attributed to a node: node id and PDO number (1-based index into the bases). */
export interface NodePdo {
  readonly nodeId: number;
  readonly pdo: number;
}

/**
 * Checks a node id range: 1 ≤ minNode ≤ maxNode ≤ 127 and no two PDO bases' ranges overlap (with the
 * rig's bases 0x10 apart, at most 15 nodes).
 * @throws {CanError} `BB_CAN_INVALID_ARGUMENT` naming the field.
 */
export function checkNodeIdRange(range: NodeIdRange = {}): Required<NodeIdRange> {
  const minNode = range.minNode ?? 1;
  const maxNode = range.maxNode ?? 15;
  const pdoBases = range.pdoBases ?? RIG_BMU_PDO_BASES;
  if (!Number.isInteger(minNode) || !Number.isInteger(maxNode) || minNode < 1 || maxNode > 127 || minNode > maxNode) {
    throw new CanError('BB_CAN_INVALID_ARGUMENT', `node id range ${minNode}..${maxNode} must satisfy 1 ≤ minNode ≤ maxNode ≤ 127`);
  }
  const spans = pdoBases.map((b) => [b + minNode, b + maxNode] as const).sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    const prev = spans[i - 1] as readonly [number, number];
    const cur = spans[i] as readonly [number, number];
    if (cur[0] <= prev[1]) throw new CanError('BB_CAN_INVALID_ARGUMENT', `PDO id ranges overlap for nodes ${minNode}..${maxNode}: 0x${prev[0].toString(16)}..0x${prev[1].toString(16)} and 0x${cur[0].toString(16)}..0x${cur[1].toString(16)}`);
  }
  if (spans.some(([, hi]) => hi > 0x7ff)) throw new CanError('BB_CAN_INVALID_ARGUMENT', 'PDO ids exceed 11 bits');
  return { minNode, maxNode, pdoBases };
}

/**
 * The node and PDO of a standard frame id (node id = COB-ID − PDO base), or `undefined` when the id is
 * not a PDO of a node in range (extended ids never are).
 */
export function nodeOfCobId(id: number, extended: boolean, range: Required<NodeIdRange>): NodePdo | undefined {
  if (extended) return undefined;
  for (let i = 0; i < range.pdoBases.length; i++) {
    const n = id - (range.pdoBases[i] as number);
    if (n >= range.minNode && n <= range.maxNode) return { nodeId: n, pdo: i + 1 };
  }
  return undefined;
}
