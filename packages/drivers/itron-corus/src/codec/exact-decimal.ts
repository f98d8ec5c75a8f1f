/**
 * Exact decimal numbers: value = coefficient × 10^−scale, coefficient a bigint, scale ≥ 0.
 *
 * Every Corus number is an integer times a power of ten (itron-corus README §8.4), so decoding
 * never goes through a binary float. Products (pulse-weight scaling, §9.6) are exact; quotients
 * (`multiplied`, §9.6) are rounded half-even to a stated number of fraction digits.
 */
import { CorusError } from '../errors.js';

const TEN = 10n;

/**
 * Largest number of digits (integer + fraction digits, leading zeros included) accepted by
 * {@link ExactDecimal.from}. The widest Corus number has 21 significant digits (Index9, itron-corus
 * README §8.4) and the largest magnitude is a Float's ±3.4e38, 39 integer digits (§8.2): 100 is far
 * beyond every data class, and keeps the bigint work of one parse trivially small.
 */
export const MAX_DECIMAL_DIGITS = 100;

/**
 * Largest accepted |exponent| of an `e`/`E` notation in {@link ExactDecimal.from}. Corus classes
 * span 10^−8 (Index fractions) to 3.4·10^38 (Float), README §8.2, §8.3.6, §8.3.10; 400 still admits
 * the text of every finite binary64 (`5e-324`, `1.7976931348623157e+308`). Without the bound,
 * `"1e20000000"` costs seconds of bigint exponentiation on the event loop.
 */
export const MAX_DECIMAL_EXPONENT = 400;

/** Longest accepted decimal text (surrounding whitespace included), characters. */
export const MAX_DECIMAL_TEXT_LENGTH = 512;

const MAX_BIGINT_MAGNITUDE = TEN ** BigInt(MAX_DECIMAL_DIGITS);

function tooLarge(what: string, context: Readonly<Record<string, string | number | undefined>>): CorusError {
  return new CorusError('BB_CORUS_VALUE_OUT_OF_RANGE', `decimal ${what}; refused before any arithmetic (no Corus data class comes near it, itron-corus README §8.2)`, { context });
}

function pow10(n: number): bigint {
  return TEN ** BigInt(n);
}

/**
 * An exact decimal `coefficient × 10^−scale`. Immutable. `toString()` gives the canonical plain
 * form of README §8.4 item 3 (no exponent, no trailing fraction zeros, "0" for zero, "-0" never).
 */
export class ExactDecimal {
  /** Integer coefficient. */
  readonly coefficient: bigint;
  /** Number of fraction digits (≥ 0). */
  readonly scale: number;

  /**
   * @param coefficient - the integer coefficient.
   * @param scale - fraction digits; a negative scale is folded into the coefficient.
   * @throws {RangeError} when `scale` is not an integer.
   */
  constructor(coefficient: bigint, scale = 0) {
    if (!Number.isInteger(scale)) throw new RangeError(`scale must be an integer, got ${scale}`);
    if (scale < 0) {
      this.coefficient = coefficient * pow10(-scale);
      this.scale = 0;
    } else {
      this.coefficient = coefficient;
      this.scale = scale;
    }
  }

  /** Zero. */
  static readonly ZERO = new ExactDecimal(0n, 0);

  /**
   * Parses plain decimal text (`"-12.340"`, `"7"`, `"1e3"` is also accepted), or takes an integer
   * `number`/`bigint` as is. A non-integer `number` goes through its shortest round-trip text
   * (`String(0.1)` = `"0.1"`), which is what a user typing 0.1 means.
   *
   * Input is bounded before any bigint arithmetic: at most {@link MAX_DECIMAL_TEXT_LENGTH}
   * characters, {@link MAX_DECIMAL_DIGITS} digits and an exponent of at most
   * ±{@link MAX_DECIMAL_EXPONENT}; a bigint below 10^{@link MAX_DECIMAL_DIGITS} in magnitude.
   * @throws {CorusError} `BB_CORUS_VALUE_TYPE` for text that is not a finite decimal number;
   *   `BB_CORUS_VALUE_OUT_OF_RANGE` for input beyond those bounds (context: `limit`, `actual`).
   */
  static from(value: string | number | bigint | ExactDecimal): ExactDecimal {
    if (value instanceof ExactDecimal) return value;
    if (typeof value === 'bigint') {
      if (value >= MAX_BIGINT_MAGNITUDE || -value >= MAX_BIGINT_MAGNITUDE) throw tooLarge(`integer has more than ${MAX_DECIMAL_DIGITS} digits`, { limit: MAX_DECIMAL_DIGITS });
      return new ExactDecimal(value, 0);
    }
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new CorusError('BB_CORUS_VALUE_TYPE', `not a finite number: ${value}`);
      return ExactDecimal.from(String(value));
    }
    if (value.length > MAX_DECIMAL_TEXT_LENGTH) throw tooLarge(`text is ${value.length} characters long, more than ${MAX_DECIMAL_TEXT_LENGTH}`, { limit: MAX_DECIMAL_TEXT_LENGTH, actual: value.length });
    const m = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/.exec(value);
    if (m === null || ((m[2] ?? '') === '' && (m[3] ?? '') === '')) {
      throw new CorusError('BB_CORUS_VALUE_TYPE', `not a decimal number: ${JSON.stringify(value)}`);
    }
    const intPart = m[2] ?? '';
    const frac = m[3] ?? '';
    const digits = intPart.length + frac.length;
    if (digits > MAX_DECIMAL_DIGITS) throw tooLarge(`has ${digits} digits, more than ${MAX_DECIMAL_DIGITS}`, { limit: MAX_DECIMAL_DIGITS, actual: digits });
    const exp = m[4] === undefined ? 0 : Number(m[4]);
    if (!(Math.abs(exp) <= MAX_DECIMAL_EXPONENT)) throw tooLarge(`exponent ${m[4] ?? ''} is beyond ±${MAX_DECIMAL_EXPONENT}`, { limit: MAX_DECIMAL_EXPONENT, actual: m[4] });
    let coefficient = BigInt((intPart || '0') + frac);
    if (m[1] === '-') coefficient = -coefficient;
    return new ExactDecimal(coefficient, frac.length - exp);
  }

  /** Whether the value is zero. */
  isZero(): boolean {
    return this.coefficient === 0n;
  }

  /** Whether the value is an integer. */
  isInteger(): boolean {
    return this.coefficient % pow10(this.scale) === 0n;
  }

  /** The same value with trailing fraction zeros removed (smallest scale). */
  normalize(): ExactDecimal {
    let c = this.coefficient;
    let s = this.scale;
    while (s > 0 && c % TEN === 0n) {
      c /= TEN;
      s--;
    }
    return s === this.scale ? this : new ExactDecimal(c, s);
  }

  /** The coefficient at scale `scale` if the value is representable there exactly, else `undefined`. */
  coefficientAt(scale: number): bigint | undefined {
    if (scale >= this.scale) return this.coefficient * pow10(scale - this.scale);
    const d = pow10(this.scale - scale);
    return this.coefficient % d === 0n ? this.coefficient / d : undefined;
  }

  /** Exact product. */
  mul(other: ExactDecimal): ExactDecimal {
    return new ExactDecimal(this.coefficient * other.coefficient, this.scale + other.scale).normalize();
  }

  /** Exact sum. */
  add(other: ExactDecimal): ExactDecimal {
    const s = Math.max(this.scale, other.scale);
    return new ExactDecimal(this.coefficient * pow10(s - this.scale) + other.coefficient * pow10(s - other.scale), s).normalize();
  }

  /** Exact difference. */
  sub(other: ExactDecimal): ExactDecimal {
    return this.add(new ExactDecimal(-other.coefficient, other.scale));
  }

  /**
   * Quotient rounded half-even to `fractionDigits` digits (default 20, like big.js `Big.DP`).
   * @throws {RangeError} on division by zero.
   */
  div(other: ExactDecimal, fractionDigits = 20): ExactDecimal {
    if (other.coefficient === 0n) throw new RangeError('division by zero');
    // (a/10^sa) / (b/10^sb) = a·10^sb / (b·10^sa); scaled by 10^fd.
    let num = this.coefficient * pow10(other.scale + fractionDigits);
    let den = other.coefficient * pow10(this.scale);
    if (den < 0n) {
      num = -num;
      den = -den;
    }
    return new ExactDecimal(roundHalfEven(num, den), fractionDigits).normalize();
  }

  /** −1, 0 or 1 as this is less than, equal to or greater than `other`. */
  compare(other: ExactDecimal): -1 | 0 | 1 {
    const s = Math.max(this.scale, other.scale);
    const a = this.coefficient * pow10(s - this.scale);
    const b = other.coefficient * pow10(s - other.scale);
    return a < b ? -1 : a > b ? 1 : 0;
  }

  /** Numeric equality (`5.000` equals `5`). */
  equals(other: ExactDecimal): boolean {
    return this.compare(other) === 0;
  }

  /**
   * Nearest binary64. Lossy by nature: only for display, plotting or InfluxDB (README §8.4 item 5).
   */
  toNumber(): number {
    return Number(this.toString());
  }

  /** Canonical plain text: no exponent, no trailing fraction zeros, "0" for zero. */
  toString(): string {
    const n = this.normalize();
    const neg = n.coefficient < 0n;
    let digits = (neg ? -n.coefficient : n.coefficient).toString();
    if (n.scale === 0) return (neg ? '-' : '') + digits;
    if (digits.length <= n.scale) digits = '0'.repeat(n.scale - digits.length + 1) + digits;
    const cut = digits.length - n.scale;
    return `${neg ? '-' : ''}${digits.slice(0, cut)}.${digits.slice(cut)}`;
  }

  /** JSON form: the canonical text (exact, unlike a JSON number). */
  toJSON(): string {
    return this.toString();
  }
}

/**
 * `num / den` rounded half-even to an integer; `den` > 0.
 * Used by {@link ExactDecimal.div} and the binary32 decoder (README §8.3.6).
 */
export function roundHalfEven(num: bigint, den: bigint): bigint {
  let q = num / den;
  let r = num % den;
  if (r < 0n) {
    r = -r;
  }
  const twice = 2n * r;
  if (twice > den || (twice === den && (q & 1n) !== 0n)) {
    q += num < 0n ? -1n : 1n;
  }
  return q;
}
