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

/** One datagram of `udp.json`. */
export interface DatagramVector {
  readonly name: string;
  readonly source?: string;
  readonly channel?: number;
  readonly hex: string;
}

/** `udp.json`: request, reply and malformed datagrams (hand-built from reference §2, §5). */
export const udpVectors = JSON.parse(readFileSync(new URL('udp.json', here), 'utf8')) as {
  readonly requests: readonly DatagramVector[];
  readonly replies: readonly DatagramVector[];
  readonly malformed: readonly DatagramVector[];
};

/** The datagram named `name` in `udpVectors[group]`. */
export function datagram(group: 'requests' | 'replies' | 'malformed', name: string): DatagramVector {
  const v = udpVectors[group].find((x) => x.name === name);
  if (!v) throw new Error(`no ${group} datagram ${name}`);
  return v;
}

/** The vector named `name`. */
export function vector(name: string): MessageVector {
  const v = messageVectors.find((x) => x.name === name);
  if (!v) throw new Error(`no vector ${name}`);
  return v;
}
