/** Loads the DBCs and cantools vectors of test/vectors (see test/vectors/README.md for their origin). */
import { readFileSync } from 'node:fs';

/** A DBC property record written by scripts/gen-vectors.py from cantools. */
export interface VectorSignal {
  name: string;
  startBit: number;
  length: number;
  byteOrder: 'little_endian' | 'big_endian';
  signed: boolean;
  valueType: 'integer' | 'float32' | 'float64';
  factor: number;
  offset: number;
  minimum: number | null;
  maximum: number | null;
  unit: string;
  isMultiplexer: boolean;
  multiplexerSignal: string | null;
  multiplexerIds: number[] | null;
  choices: Record<string, string> | null;
  comment: string | null;
  receivers: string[];
}
/** A message property record from cantools. */
export interface VectorMessage {
  name: string;
  id: number;
  extended: boolean;
  length: number;
  senders: string[];
  comment: string | null;
  cycleTimeMs: number | null;
  signals: VectorSignal[];
}
/** One vector file. */
export interface VectorFile {
  dbc: string;
  strict: boolean;
  droppedForCantools: string[];
  messageCount: number;
  signalCount: number;
  messages: VectorMessage[];
  decode: Array<{ message: string; id: number; extended: boolean; data: string; values: Record<string, number>; labels: Record<string, string> }>;
  encode: Array<{ message: string; values: Record<string, number>; data: string }>;
  encodeErrors: Array<{ message: string; values: Record<string, number>; signal: string; cantoolsError: string }>;
}

const dir = new URL('../vectors/', import.meta.url);

/** The text of a DBC in test/vectors. */
export function dbcText(name: string): string {
  return readFileSync(new URL(name, dir), 'utf8');
}

/** The vectors generated for a DBC (`x.dbc` → `x.vectors.json`). */
export function vectorsFor(dbc: string): VectorFile {
  return JSON.parse(readFileSync(new URL(dbc.replace(/\.dbc$/, '.vectors.json'), dir), 'utf8')) as VectorFile;
}

/** Bytes of a hex string. */
export function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
}

/** The four DBC files with vectors, and whether they parse strictly. */
export const VECTOR_DBCS: ReadonlyArray<readonly [string, boolean]> = [
  ['gm_global_a_high_voltage_management.dbc', true],
  ['tesla_can.dbc', false],
  ['busbar_safety_rig_bmu.dbc', true],
  ['busbar_float_ext.dbc', true],
];
