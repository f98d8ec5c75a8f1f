/** Loads the checked-in vectors (see README.md in this folder for provenance). */
import { readFileSync } from 'node:fs';

/** One JSON request/reply vector. */
export interface MessageVector {
  readonly name: string;
  readonly fclass: number;
  readonly fnum: number;
  readonly source: string;
  readonly request: string;
  readonly reply: string;
}

/** One binary frame vector. */
export interface BinaryVector {
  readonly name: string;
  readonly source: string;
  readonly hex: string;
  readonly chanIndex0: number;
}

const here = new URL('.', import.meta.url);
export const messageVectors: MessageVector[] = (JSON.parse(readFileSync(new URL('messages.json', here), 'utf8')) as { vectors: MessageVector[] }).vectors;
export const binaryVectors: BinaryVector[] = (JSON.parse(readFileSync(new URL('binary.json', here), 'utf8')) as { vectors: BinaryVector[] }).vectors;

/** The vector named `name`. */
export function vector(name: string): MessageVector {
  const v = messageVectors.find((x) => x.name === name);
  if (!v) throw new Error(`no vector ${name}`);
  return v;
}
