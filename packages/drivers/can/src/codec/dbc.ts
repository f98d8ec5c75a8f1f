/**
 * DBC parser: the text of a Vector CANdb++ database → a {@link Dbc} (messages, signals, value
 * tables, comments, attributes). Pure: no I/O.
 *
 * Grammar followed (Vector "DBC File Format Documentation" v1.0.1, as read by cantools and
 * opendbc; only the statements Busbar needs are interpreted, the rest are skipped to their `;`):
 *
 * ```
 * VERSION "text"
 * NS_ : <symbols...>                                   (skipped)
 * BS_ : [baudrate:BTR1,BTR2]                           (skipped)
 * BU_ : node*
 * VAL_TABLE_ name (int "label")* ;
 * BO_ id name : size sender
 *   SG_ name [M | mN | mNM] : start|length@order sign (factor,offset) [min|max] "unit" receiver{,receiver}
 * CM_ ["text" | BU_ node "text" | BO_ id "text" | SG_ id signal "text" | EV_ var "text"] ;
 * BA_DEF_ [BU_|BO_|SG_|EV_] "name" INT|HEX|FLOAT min max | STRING | ENUM "a","b"... ;
 * BA_DEF_DEF_ "name" value ;
 * BA_ "name" [BU_ node | BO_ id | SG_ id signal | EV_ var] value ;
 * VAL_ id signal (int "label")* ;
 * SIG_VALTYPE_ id signal : 0|1|2 ;                     (1: IEEE float32, 2: IEEE float64)
 * SG_MUL_VAL_ id signal multiplexer lo-hi{, lo-hi} ;   (extended multiplexing)
 * ```
 *
 * - `id` of BO_: bit 31 set means a 29-bit extended id (`id & 0x1FFFFFFF`).
 * - `order`: `1` Intel (little-endian, start = least significant bit), `0` Motorola (big-endian,
 *   start = most significant bit in the sawtooth numbering byte*8 + bit).
 * - `sign`: `+` unsigned, `-` two's complement.
 * - `[0|0]` means "no range" (as cantools reads it).
 */
import { CanError } from '../errors.js';
import { MAX_EXTENDED_ID } from './frame.js';

/** Bit order of a signal: Intel (`@1`) or Motorola (`@0`). */
export type ByteOrder = 'little_endian' | 'big_endian';
/** How raw bits are read: two's complement/unsigned integer, or IEEE 754 binary32/binary64 (`SIG_VALTYPE_` 1/2). */
export type SignalValueType = 'integer' | 'float32' | 'float64';
/** An attribute value as written in the DBC (ENUM attributes keep their index as written in `BA_`). */
export type AttributeValue = number | string;

/** One `BA_DEF_` line: where the attribute applies, its type and its `BA_DEF_DEF_` default. */
export interface AttributeDefinition {
  readonly name: string;
  /** `''` for the database, else `BU_`, `BO_`, `SG_` or `EV_`. */
  readonly scope: '' | 'BU_' | 'BO_' | 'SG_' | 'EV_';
  readonly type: 'INT' | 'HEX' | 'FLOAT' | 'STRING' | 'ENUM';
  readonly minimum?: number;
  readonly maximum?: number;
  readonly enumValues?: readonly string[];
  /** From `BA_DEF_DEF_`, when given. */
  readonly defaultValue?: AttributeValue;
}

/** A signal (`SG_`) of a message, with everything needed to decode and encode it. */
export interface DbcSignal {
  readonly name: string;
  /** DBC start bit (Intel: LSB position; Motorola: MSB position, sawtooth numbering). */
  readonly startBit: number;
  /** Length in bits, 1..64. */
  readonly length: number;
  readonly byteOrder: ByteOrder;
  readonly signed: boolean;
  readonly valueType: SignalValueType;
  /** physical = raw × factor + offset. */
  readonly factor: number;
  readonly offset: number;
  /** Physical minimum/maximum; both absent when the DBC says exactly `[0|0]` (as cantools reads it). */
  readonly minimum?: number;
  readonly maximum?: number;
  /** Unit text, e.g. `"V"`; `''` when none. */
  readonly unit: string;
  readonly receivers: readonly string[];
  /** `M` (or `mNM`): other signals depend on this one's raw value. */
  readonly isMultiplexer: boolean;
  /** For a multiplexed signal: the multiplexer signal's name. */
  readonly multiplexerSignal?: string;
  /** For a multiplexed signal: inclusive ranges of multiplexer raw values for which it is present. */
  readonly multiplexerRanges?: ReadonlyArray<readonly [number, number]>;
  /** Value table (`VAL_`): raw value → label. */
  readonly choices?: ReadonlyMap<number, string>;
  readonly comment?: string;
  readonly attributes: ReadonlyMap<string, AttributeValue>;
  /** 1-based line of the `SG_` in the DBC text. */
  readonly line: number;
}

/** A message (`BO_`). */
export interface DbcMessage {
  /** Frame id without the extended flag. */
  readonly id: number;
  readonly extended: boolean;
  readonly name: string;
  /** Data length in bytes (`BO_` size). */
  readonly length: number;
  readonly senders: readonly string[];
  readonly signals: readonly DbcSignal[];
  readonly comment?: string;
  readonly attributes: ReadonlyMap<string, AttributeValue>;
  /** `GenMsgCycleTime` in ms (the message's `BA_`, else the `BA_DEF_DEF_` default when not 0), absent when unknown. */
  readonly cycleTimeMs?: number;
  /** 1-based line of the `BO_` in the DBC text. */
  readonly line: number;
}

/** A node (`BU_`). */
export interface DbcNode {
  readonly name: string;
  readonly comment?: string;
  readonly attributes: ReadonlyMap<string, AttributeValue>;
}

/** A parsed database. Look messages up with {@link Dbc.messageById} / {@link Dbc.messageByName}. */
export interface Dbc {
  readonly version: string;
  readonly nodes: readonly DbcNode[];
  readonly messages: readonly DbcMessage[];
  /** Named value tables (`VAL_TABLE_`). */
  readonly valueTables: ReadonlyMap<string, ReadonlyMap<number, string>>;
  readonly attributeDefinitions: ReadonlyMap<string, AttributeDefinition>;
  /** Database-level attributes (`BA_ "name" value;`). */
  readonly attributes: ReadonlyMap<string, AttributeValue>;
  readonly comment?: string;
  /** The message with this frame id and id kind, if any. */
  messageById(id: number, extended: boolean): DbcMessage | undefined;
  /** The message with this name, if any. */
  messageByName(name: string): DbcMessage | undefined;
}

/** Options of {@link parseDbc}. */
export interface ParseDbcOptions {
  /**
   * Refuse signals that do not fit in their message and duplicate signal names (default `true`).
   * `false` accepts them as cantools `strict=False` does (needed for some real files, e.g. tesla_can.dbc).
   */
  readonly strict?: boolean;
}

interface Token {
  readonly kind: 'ident' | 'number' | 'string' | 'punct';
  readonly text: string;
  readonly line: number;
  readonly column: number;
  readonly offset: number;
  readonly end: number;
}

const PUNCT = new Set([':', ';', ',', '|', '@', '(', ')', '[', ']', '+', '-']);
const SKIPPED = new Set([
  'BO_TX_BU_', 'EV_', 'ENVVAR_DATA_', 'SGTYPE_', 'SGTYPE_VAL_', 'BA_DEF_SGTYPE_', 'BA_SGTYPE_', 'SIG_TYPE_REF_',
  'SIG_GROUP_', 'SIGTYPE_VALTYPE_', 'BA_DEF_REL_', 'BA_REL_', 'BA_DEF_DEF_REL_', 'BU_SG_REL_', 'BU_EV_REL_', 'BU_BO_REL_',
  'CAT_DEF_', 'CAT_', 'FILTER', 'NS_DESC_', 'EV_DATA_',
]);

function syntax(line: number, column: number, what: string): CanError {
  return new CanError('BB_CAN_DBC_SYNTAX', `DBC line ${line}, column ${column}: ${what}`, { context: { line, column } });
}
function invalid(line: number, column: number, what: string): CanError {
  return new CanError('BB_CAN_DBC_INVALID', `DBC line ${line}, column ${column}: ${what}`, { context: { line, column } });
}

function isDigitAt(text: string, k: number): boolean {
  const d = text.charCodeAt(k);
  return d >= 48 && d <= 57;
}

/** Splits DBC text into tokens with 1-based line/column. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const n = text.length;
  const numberRe = /[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/y;
  const identRe = /[A-Za-z_][A-Za-z0-9_]*/y;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      i++;
      lineStart = i;
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 0xfeff) {
      i++;
      continue;
    }
    const column = i - lineStart + 1;
    const ch = text[i] as string;
    if (ch === '/' && text[i + 1] === '/') {
      while (i < n && text.charCodeAt(i) !== 10) i++;
      continue;
    }
    if (ch === '"') {
      const startLine = line;
      let j = i + 1;
      let value = '';
      for (;;) {
        if (j >= n) throw syntax(startLine, column, 'unterminated string');
        const d = text[j] as string;
        if (d === '\\' && j + 1 < n) {
          value += text[j + 1];
          j += 2;
          continue;
        }
        if (d === '"') break;
        if (d === '\n') {
          line++;
          lineStart = j + 1;
        }
        value += d;
        j++;
      }
      tokens.push({ kind: 'string', text: value, line: startLine, column, offset: i, end: j + 1 });
      i = j + 1;
      continue;
    }
    if (isDigitAt(text, i) || ((ch === '-' || ch === '+' || ch === '.') && (isDigitAt(text, i + 1) || (text[i + 1] === '.' && isDigitAt(text, i + 2))))) {
      numberRe.lastIndex = i;
      const m = numberRe.exec(text);
      if (m !== null) {
        // A number glued to letters (e.g. `12ab`) is an identifier-like symbol: keep it as an ident.
        identRe.lastIndex = i + m[0].length;
        const tail = /[A-Za-z_]/.test(text[i + m[0].length] ?? '') ? (identRe.exec(text)?.[0] ?? '') : '';
        const tok = m[0] + tail;
        tokens.push({ kind: tail === '' ? 'number' : 'ident', text: tok, line, column, offset: i, end: i + tok.length });
        i += tok.length;
        continue;
      }
    }
    identRe.lastIndex = i;
    const id = identRe.exec(text);
    if (id !== null) {
      tokens.push({ kind: 'ident', text: id[0], line, column, offset: i, end: i + id[0].length });
      i += id[0].length;
      continue;
    }
    if (PUNCT.has(ch)) {
      tokens.push({ kind: 'punct', text: ch, line, column, offset: i, end: i + 1 });
      i++;
      continue;
    }
    throw syntax(line, column, `unexpected character ${JSON.stringify(ch)}`);
  }
  return tokens;
}

type MutableSignal = { -readonly [K in keyof DbcSignal]: DbcSignal[K] };
interface MutableMessage {
  id: number;
  extended: boolean;
  name: string;
  length: number;
  senders: string[];
  signals: MutableSignal[];
  comment?: string;
  attributes: Map<string, AttributeValue>;
  line: number;
  column: number;
  muxTokens: Map<string, { id: number | undefined; isMux: boolean }>;
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[], private readonly text: string) {}

  peek(k = 0): Token | undefined {
    return this.tokens[this.pos + k];
  }
  atEnd(): boolean {
    return this.pos >= this.tokens.length;
  }
  private eofError(what: string): CanError {
    const last = this.tokens[this.tokens.length - 1];
    return syntax(last?.line ?? 1, last === undefined ? 1 : last.column + (last.end - last.offset), `unexpected end of file, expected ${what}`);
  }
  next(what: string): Token {
    const t = this.tokens[this.pos];
    if (t === undefined) throw this.eofError(what);
    this.pos++;
    return t;
  }
  expectPunct(p: string, what = `'${p}'`): Token {
    const t = this.next(what);
    if (t.kind !== 'punct' || t.text !== p) throw syntax(t.line, t.column, `expected ${what}, got ${JSON.stringify(t.text)}`);
    return t;
  }
  optionalPunct(p: string): boolean {
    const t = this.peek();
    if (t?.kind === 'punct' && t.text === p) {
      this.pos++;
      return true;
    }
    return false;
  }
  ident(what: string): Token {
    const t = this.next(what);
    if (t.kind !== 'ident') throw syntax(t.line, t.column, `expected ${what}, got ${JSON.stringify(t.text)}`);
    return t;
  }
  number(what: string): number {
    const t = this.next(what);
    if (t.kind !== 'number') throw syntax(t.line, t.column, `expected ${what} (a number), got ${JSON.stringify(t.text)}`);
    return Number(t.text);
  }
  integer(what: string): number {
    const t = this.peek();
    const v = this.number(what);
    if (!Number.isInteger(v)) throw syntax(t?.line ?? 0, t?.column ?? 0, `expected ${what} (an integer), got ${JSON.stringify(t?.text)}`);
    return v;
  }
  string(what: string): string {
    const t = this.next(what);
    if (t.kind !== 'string') throw syntax(t.line, t.column, `expected ${what} (a quoted string), got ${JSON.stringify(t.text)}`);
    return t.text;
  }
  skipToSemicolon(): void {
    for (;;) {
      const t = this.next("';'");
      if (t.kind === 'punct' && t.text === ';') return;
    }
  }
  /** Source text between two offsets (for SG_MUL_VAL_ ranges, which the tokenizer would split as signed numbers). */
  slice(from: number, to: number): string {
    return this.text.slice(from, to);
  }
}

function attrValue(p: Parser, what: string): AttributeValue {
  const t = p.next(what);
  if (t.kind === 'number') return Number(t.text);
  if (t.kind === 'string') return t.text;
  throw syntax(t.line, t.column, `expected ${what} (a number or a string), got ${JSON.stringify(t.text)}`);
}

function messageKey(id: number, extended: boolean): number {
  return extended ? id + 0x20000000 * 2 : id;
}

/**
 * Parses DBC text into a {@link Dbc}.
 *
 * @param text - the DBC file content (UTF-8 or Latin-1 already decoded; a BOM is ignored).
 * @param options - {@link ParseDbcOptions}.
 * @returns the database; messages in file order, signals in file order.
 * @throws {CanError} `BB_CAN_DBC_SYNTAX` (malformed text, with line and column) or
 *   `BB_CAN_DBC_INVALID` (a signal outside its message, a duplicate message id, a multiplexed
 *   signal with no multiplexer, an undefined message in CM_/BA_/VAL_/SIG_VALTYPE_, a float
 *   signal whose length is not 32/64...).
 */
export function parseDbc(text: string, options: ParseDbcOptions = {}): Dbc {
  const strict = options.strict ?? true;
  const p = new Parser(tokenize(text), text);
  let version = '';
  const nodes: Array<{ name: string; comment?: string; attributes: Map<string, AttributeValue> }> = [];
  const messages: MutableMessage[] = [];
  const byKey = new Map<number, MutableMessage>();
  const valueTables = new Map<string, Map<number, string>>();
  const defs = new Map<string, { -readonly [K in keyof AttributeDefinition]: AttributeDefinition[K] }>();
  const dbAttributes = new Map<string, AttributeValue>();
  let dbComment: string | undefined;
  const valTypes: Array<{ msg: MutableMessage; signal: string; type: number; line: number; column: number }> = [];
  const mulVals: Array<{ msg: MutableMessage; signal: string; muxer: string; ranges: Array<[number, number]>; line: number; column: number }> = [];
  let current: MutableMessage | undefined;

  const findMessage = (raw: number, t: Token): MutableMessage => {
    const extended = raw >= 0x80000000;
    const m = byKey.get(messageKey(extended ? raw - 0x80000000 : raw, extended));
    if (m === undefined) throw invalid(t.line, t.column, `message id ${raw} is not defined by a BO_`);
    return m;
  };
  const findSignal = (m: MutableMessage, name: string, t: Token): MutableSignal => {
    const s = m.signals.find((x) => x.name === name);
    if (s === undefined) throw invalid(t.line, t.column, `message ${m.name} has no signal ${name}`);
    return s;
  };
  /** CM_/BA_/VAL_/SIG_VALTYPE_/SG_MUL_VAL_ naming an undefined message or signal: an error when strict, ignored otherwise. */
  const lookup = (raw: number, t: Token, signal?: Token): { m: MutableMessage; s: MutableSignal | undefined } | undefined => {
    if (isIndependent(raw)) return undefined;
    try {
      const m = findMessage(raw, t);
      return { m, s: signal === undefined ? undefined : findSignal(m, signal.text, signal) };
    } catch (err) {
      if (strict) throw err;
      return undefined;
    }
  };
  const pairs = (): Map<number, string> => {
    const out = new Map<number, string>();
    for (;;) {
      const t = p.peek();
      if (t === undefined) p.next("';'");
      if (t?.kind === 'punct' && t.text === ';') {
        p.next("';'");
        return out;
      }
      const v = p.number('a value-table value');
      out.set(v, p.string('a value-table label'));
    }
  };

  while (!p.atEnd()) {
    const kw = p.next('a keyword');
    if (kw.kind !== 'ident') throw syntax(kw.line, kw.column, `expected a keyword, got ${JSON.stringify(kw.text)}`);
    switch (kw.text) {
      case 'VERSION':
        version = p.string('the VERSION text');
        break;
      case 'NS_': {
        p.expectPunct(':');
        for (;;) {
          const t = p.peek();
          if (t === undefined || (t.kind === 'ident' && (t.text === 'BS_' || t.text === 'BU_' || (t.text === 'BO_' && p.peek(1)?.kind === 'number')))) break;
          p.next('a symbol');
        }
        break;
      }
      case 'BS_': {
        p.expectPunct(':');
        while (p.peek() !== undefined && p.peek()?.line === kw.line) p.next('baudrate');
        break;
      }
      case 'BU_': {
        p.expectPunct(':');
        for (;;) {
          const t = p.peek();
          if (t === undefined || t.kind !== 'ident' || (t.line !== kw.line && t.column === 1)) break;
          if (t.line !== kw.line && /^[A-Z_]+_$/.test(t.text)) break;
          p.next('a node');
          nodes.push({ name: t.text, attributes: new Map() });
        }
        break;
      }
      case 'VAL_TABLE_': {
        const name = p.ident('a value table name').text;
        valueTables.set(name, pairs());
        break;
      }
      case 'BO_': {
        const idTok = p.peek();
        const raw = p.integer('a message id');
        const name = p.ident('a message name').text;
        p.expectPunct(':', "':' after the message name");
        const length = p.integer('the message length');
        const sender = p.next('the sender');
        if (sender.kind !== 'ident') throw syntax(sender.line, sender.column, `expected the sender node, got ${JSON.stringify(sender.text)}`);
        const extended = raw >= 0x80000000;
        const id = extended ? raw - 0x80000000 : raw;
        if (raw < 0 || id > MAX_EXTENDED_ID) {
          // VECTOR__INDEPENDENT_SIG_MSG (0xC0000000) holds signals not assigned to a message: not a frame.
          if (name === 'VECTOR__INDEPENDENT_SIG_MSG') {
            current = { id, extended, name, length, senders: [], signals: [], attributes: new Map(), line: kw.line, column: kw.column, muxTokens: new Map() };
            break;
          }
          throw invalid(idTok?.line ?? kw.line, idTok?.column ?? kw.column, `message ${name} has id ${raw}, outside 29 bits`);
        }
        if (length < 0 || length > 64) throw invalid(kw.line, kw.column, `message ${name} has length ${length}; 0..64 bytes are allowed`);
        const m: MutableMessage = { id, extended, name, length, senders: sender.text === 'Vector__XXX' ? [] : [sender.text], signals: [], attributes: new Map(), line: kw.line, column: kw.column, muxTokens: new Map() };
        const key = messageKey(id, extended);
        if (byKey.has(key)) throw invalid(kw.line, kw.column, `message ${name} repeats frame id ${raw} of ${byKey.get(key)?.name ?? '?'}`);
        byKey.set(key, m);
        messages.push(m);
        current = m;
        break;
      }
      case 'SG_': {
        if (current === undefined) throw syntax(kw.line, kw.column, 'SG_ outside a BO_ message');
        const name = p.ident('a signal name').text;
        let mux: { id: number | undefined; isMux: boolean } | undefined;
        const muxTok = p.peek();
        if (muxTok?.kind === 'ident') {
          p.next('multiplexing');
          const mm = /^(?:M|m(\d+)(M?))$/.exec(muxTok.text);
          if (mm === null) throw syntax(muxTok.line, muxTok.column, `expected 'M', 'mN' or 'mNM' multiplexing, got ${JSON.stringify(muxTok.text)}`);
          mux = muxTok.text === 'M' ? { id: undefined, isMux: true } : { id: Number(mm[1]), isMux: mm[2] === 'M' };
        }
        p.expectPunct(':', "':' after the signal name");
        const startBit = p.integer('the start bit');
        p.expectPunct('|');
        const length = p.integer('the signal length');
        p.expectPunct('@');
        const orderTok = p.next('the byte order 0 or 1');
        if (orderTok.text !== '0' && orderTok.text !== '1') throw syntax(orderTok.line, orderTok.column, `expected the byte order 0 (Motorola) or 1 (Intel), got ${JSON.stringify(orderTok.text)}`);
        const signTok = p.next("'+' or '-'");
        if (signTok.kind !== 'punct' || (signTok.text !== '+' && signTok.text !== '-')) throw syntax(signTok.line, signTok.column, `expected '+' (unsigned) or '-' (signed), got ${JSON.stringify(signTok.text)}`);
        p.expectPunct('(');
        const factor = p.number('the factor');
        p.expectPunct(',');
        const offset = p.number('the offset');
        p.expectPunct(')');
        p.expectPunct('[');
        const minTok = p.peek();
        const minimum = p.number('the minimum');
        p.expectPunct('|');
        const maxTok = p.peek();
        const maximum = p.number('the maximum');
        const noRange = minTok?.text === '0' && maxTok?.text === '0';
        p.expectPunct(']');
        const unit = p.string('the unit');
        const receivers: string[] = [];
        for (;;) {
          const t = p.peek();
          if (t === undefined || t.line !== signTok.line) break;
          if (t.kind === 'punct' && t.text === ',') {
            p.next(',');
            continue;
          }
          if (t.kind !== 'ident') throw syntax(t.line, t.column, `expected a receiver node, got ${JSON.stringify(t.text)}`);
          p.next('a receiver');
          if (t.text !== 'Vector__XXX') receivers.push(t.text);
        }
        if (length < 1 || length > 64) throw invalid(kw.line, kw.column, `signal ${current.name}.${name} has length ${length}; 1..64 bits are allowed`);
        if (factor === 0) throw invalid(kw.line, kw.column, `signal ${current.name}.${name} has factor 0`);
        const byteOrder: ByteOrder = orderTok.text === '1' ? 'little_endian' : 'big_endian';
        const sig: MutableSignal = {
          name, startBit, length, byteOrder, signed: signTok.text === '-', valueType: 'integer', factor, offset,
          ...(noRange ? {} : { minimum, maximum }),
          unit, receivers, isMultiplexer: mux?.isMux ?? false, attributes: new Map(), line: kw.line,
        };
        if (current.name !== 'VECTOR__INDEPENDENT_SIG_MSG') {
          if (strict && !signalFits(sig, current.length)) throw invalid(kw.line, kw.column, `signal ${current.name}.${name} (start ${startBit}, ${length} bits, ${byteOrder}) does not fit in ${current.length} bytes`);
          if (strict && current.signals.some((s) => s.name === name)) throw invalid(kw.line, kw.column, `message ${current.name} repeats signal ${name}`);
          current.signals.push(sig);
          if (mux !== undefined) current.muxTokens.set(name, mux);
        }
        break;
      }
      case 'CM_': {
        const t = p.peek();
        if (t?.kind === 'string') {
          dbComment = p.string('the comment');
        } else {
          const scope = p.ident('BU_, BO_, SG_ or EV_');
          if (scope.text === 'BU_') {
            const name = p.ident('a node name').text;
            const c = p.string('the comment');
            const node = nodes.find((x) => x.name === name);
            if (node !== undefined) node.comment = c;
          } else if (scope.text === 'BO_') {
            const idTok = p.peek() as Token;
            const raw = p.integer('a message id');
            const c = p.string('the comment');
            const r = lookup(raw, idTok);
            if (r !== undefined) r.m.comment = c;
          } else if (scope.text === 'SG_') {
            const idTok = p.peek() as Token;
            const raw = p.integer('a message id');
            const sTok = p.ident('a signal name');
            const c = p.string('the comment');
            const r = lookup(raw, idTok, sTok);
            if (r?.s !== undefined) r.s.comment = c;
          } else if (scope.text === 'EV_') {
            p.ident('an environment variable');
            p.string('the comment');
          } else {
            throw syntax(scope.line, scope.column, `expected BU_, BO_, SG_ or EV_ after CM_, got ${JSON.stringify(scope.text)}`);
          }
        }
        p.expectPunct(';', "';' after the comment");
        break;
      }
      case 'BA_DEF_': {
        let scope: AttributeDefinition['scope'] = '';
        const s = p.peek();
        if (s?.kind === 'ident' && (s.text === 'BU_' || s.text === 'BO_' || s.text === 'SG_' || s.text === 'EV_')) {
          p.next('scope');
          scope = s.text;
        }
        const name = p.string('the attribute name');
        const typeTok = p.ident('INT, HEX, FLOAT, STRING or ENUM');
        const type = typeTok.text;
        if (type === 'INT' || type === 'HEX' || type === 'FLOAT') {
          const minimum = p.number('the attribute minimum');
          const maximum = p.number('the attribute maximum');
          defs.set(name, { name, scope, type, minimum, maximum });
        } else if (type === 'STRING') {
          defs.set(name, { name, scope, type });
        } else if (type === 'ENUM') {
          const enumValues: string[] = [];
          for (;;) {
            const t = p.peek();
            if (t?.kind === 'punct' && t.text === ';') break;
            if (t?.kind === 'punct' && t.text === ',') {
              p.next(',');
              continue;
            }
            enumValues.push(p.string('an ENUM value'));
          }
          defs.set(name, { name, scope, type, enumValues });
        } else {
          throw syntax(typeTok.line, typeTok.column, `expected INT, HEX, FLOAT, STRING or ENUM, got ${JSON.stringify(type)}`);
        }
        p.expectPunct(';', "';' after the attribute definition");
        break;
      }
      case 'BA_DEF_DEF_': {
        const nameTok = p.peek() as Token;
        const name = p.string('the attribute name');
        const value = attrValue(p, 'the default value');
        p.expectPunct(';', "';' after the attribute default");
        const d = defs.get(name);
        if (d === undefined) throw invalid(nameTok.line, nameTok.column, `BA_DEF_DEF_ for undefined attribute ${JSON.stringify(name)}`);
        d.defaultValue = value;
        break;
      }
      case 'BA_': {
        const name = p.string('the attribute name');
        const s = p.peek();
        if (s?.kind === 'ident' && (s.text === 'BU_' || s.text === 'BO_' || s.text === 'SG_' || s.text === 'EV_')) {
          p.next('scope');
          if (s.text === 'BU_') {
            const nodeName = p.ident('a node name').text;
            const v = attrValue(p, 'the attribute value');
            nodes.find((x) => x.name === nodeName)?.attributes.set(name, v);
          } else if (s.text === 'BO_') {
            const idTok = p.peek() as Token;
            const raw = p.integer('a message id');
            const v = attrValue(p, 'the attribute value');
            lookup(raw, idTok)?.m.attributes.set(name, v);
          } else if (s.text === 'SG_') {
            const idTok = p.peek() as Token;
            const raw = p.integer('a message id');
            const sTok = p.ident('a signal name');
            const v = attrValue(p, 'the attribute value');
            (lookup(raw, idTok, sTok)?.s?.attributes as Map<string, AttributeValue> | undefined)?.set(name, v);
          } else {
            p.ident('an environment variable');
            attrValue(p, 'the attribute value');
          }
        } else {
          dbAttributes.set(name, attrValue(p, 'the attribute value'));
        }
        p.expectPunct(';', "';' after the attribute");
        break;
      }
      case 'VAL_': {
        const t = p.peek();
        if (t?.kind !== 'number') {
          p.skipToSemicolon(); // VAL_ of an environment variable
          break;
        }
        const raw = p.integer('a message id');
        const sTok = p.ident('a signal name');
        const table = pairs();
        const r = lookup(raw, t, sTok);
        if (r?.s !== undefined) r.s.choices = table;
        break;
      }
      case 'SIG_VALTYPE_': {
        const idTok = p.peek() as Token;
        const raw = p.integer('a message id');
        const sTok = p.ident('a signal name');
        p.optionalPunct(':');
        const type = p.integer('the value type 0, 1 or 2');
        p.expectPunct(';', "';' after SIG_VALTYPE_");
        const r = lookup(raw, idTok, sTok);
        if (r !== undefined) valTypes.push({ msg: r.m, signal: sTok.text, type, line: sTok.line, column: sTok.column });
        break;
      }
      case 'SG_MUL_VAL_': {
        const idTok = p.peek() as Token;
        const raw = p.integer('a message id');
        const sTok = p.ident('a signal name');
        const muxer = p.ident('the multiplexer signal name');
        const from = muxer.end;
        let endTok: Token;
        for (;;) {
          endTok = p.next("';'");
          if (endTok.kind === 'punct' && endTok.text === ';') break;
        }
        const body = p.slice(from, endTok.offset);
        const ranges: Array<[number, number]> = [];
        for (const part of body.split(',')) {
          const m = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(part);
          if (m === null) throw syntax(sTok.line, sTok.column, `expected multiplexer ranges 'lo-hi, lo-hi' in SG_MUL_VAL_, got ${JSON.stringify(body.trim())}`);
          ranges.push([Number(m[1]), Number(m[2])]);
        }
        const r = lookup(raw, idTok, sTok);
        if (r !== undefined) mulVals.push({ msg: r.m, signal: sTok.text, muxer: muxer.text, ranges, line: sTok.line, column: sTok.column });
        break;
      }
      default:
        if (SKIPPED.has(kw.text)) {
          p.skipToSemicolon();
          break;
        }
        throw syntax(kw.line, kw.column, `unknown keyword ${JSON.stringify(kw.text)}`);
    }
  }

  for (const v of valTypes) {
    const s = findSignal(v.msg, v.signal, { line: v.line, column: v.column } as Token);
    if (v.type === 1 || v.type === 2) {
      const want = v.type === 1 ? 32 : 64;
      if (s.length !== want) throw invalid(v.line, v.column, `SIG_VALTYPE_ ${v.type} needs a ${want}-bit signal; ${v.msg.name}.${s.name} has ${s.length} bits`);
      s.valueType = v.type === 1 ? 'float32' : 'float64';
    } else if (v.type !== 0) {
      throw invalid(v.line, v.column, `SIG_VALTYPE_ ${v.type} is not 0, 1 or 2`);
    }
  }
  const extendedMux = new Set<MutableMessage>();
  for (const v of mulVals) {
    const s = findSignal(v.msg, v.signal, { line: v.line, column: v.column } as Token);
    const muxer = findSignal(v.msg, v.muxer, { line: v.line, column: v.column } as Token);
    if (!muxer.isMultiplexer) throw invalid(v.line, v.column, `SG_MUL_VAL_ names ${v.muxer} as multiplexer of ${s.name}, but it is not marked M`);
    s.multiplexerSignal = v.muxer;
    s.multiplexerRanges = v.ranges;
    extendedMux.add(v.msg);
  }
  for (const m of messages) {
    const muxers = m.signals.filter((s) => s.isMultiplexer);
    for (const s of m.signals) {
      const tok = m.muxTokens.get(s.name);
      if (tok?.id === undefined || s.multiplexerSignal !== undefined) continue;
      const candidates = muxers.filter((x) => x !== s && m.muxTokens.get(x.name)?.id === undefined);
      const muxer = candidates.length === 1 ? candidates[0] : undefined;
      if (muxer === undefined) {
        throw invalid(s.line, 1, `signal ${m.name}.${s.name} is multiplexed (m${tok.id}) but the message has ${candidates.length === 0 ? 'no' : 'several'} top-level multiplexer signal${extendedMux.has(m) ? ' and no SG_MUL_VAL_ for it' : ''}`);
      }
      s.multiplexerSignal = muxer.name;
      s.multiplexerRanges = [[tok.id, tok.id]];
    }
  }
  const cycleDef = defs.get('GenMsgCycleTime')?.defaultValue;
  const frozenMessages: DbcMessage[] = messages.map((m) => {
    const cycle = m.attributes.get('GenMsgCycleTime') ?? (typeof cycleDef === 'number' && cycleDef !== 0 ? cycleDef : undefined);
    return Object.freeze({
      id: m.id, extended: m.extended, name: m.name, length: m.length, senders: m.senders,
      signals: Object.freeze(m.signals.map((s) => Object.freeze(s) as DbcSignal)),
      ...(m.comment === undefined ? {} : { comment: m.comment }),
      attributes: m.attributes,
      ...(typeof cycle === 'number' ? { cycleTimeMs: cycle } : {}),
      line: m.line,
    });
  });
  const idIndex = new Map<number, DbcMessage>();
  const nameIndex = new Map<string, DbcMessage>();
  for (const m of frozenMessages) {
    idIndex.set(messageKey(m.id, m.extended), m);
    nameIndex.set(m.name, m);
  }
  return {
    version, nodes, messages: frozenMessages, valueTables, attributeDefinitions: defs, attributes: dbAttributes,
    ...(dbComment === undefined ? {} : { comment: dbComment }),
    messageById: (id, extended) => idIndex.get(messageKey(id, extended)),
    messageByName: (name) => nameIndex.get(name),
  };
}

function isIndependent(raw: number): boolean {
  return raw === 0xc0000000;
}

/** Whether a signal's bits lie inside a message of `lengthBytes` bytes. */
export function signalFits(s: Pick<DbcSignal, 'startBit' | 'length' | 'byteOrder'>, lengthBytes: number): boolean {
  if (s.startBit < 0) return false;
  if (s.byteOrder === 'little_endian') return s.startBit + s.length <= lengthBytes * 8;
  const msb = motorolaMsbIndex(s.startBit);
  return msb + s.length <= lengthBytes * 8;
}

/**
 * Position of a Motorola signal's most significant bit counted from the first transmitted bit of the
 * frame (byte 0 bit 7 = 0): DBC start bit `b` is bit `b % 8` of byte `b / 8`, so `8·⌊b/8⌋ + 7 − b % 8`.
 */
export function motorolaMsbIndex(startBit: number): number {
  return 8 * Math.floor(startBit / 8) + (7 - (startBit % 8));
}
