/**
 * Reading a service's `/metrics` (Prometheus text exposition format 0.0.4): samples, counter sums,
 * histograms, and quantiles interpolated within histogram buckets the way PromQL's
 * `histogram_quantile` does (linear within the bucket that holds the rank).
 */

/** One sample line: `name{labels} value`. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A cumulative histogram: `le` upper bounds (seconds for `_seconds` metrics) with cumulative counts. */
export interface Histogram {
  /** Buckets sorted by upper bound; the last one is `+Inf`. Counts are cumulative. */
  readonly buckets: readonly { readonly le: number; readonly count: number }[];
  /** Number of observations. */
  readonly count: number;
  /** Sum of the observations. */
  readonly sum: number;
}

/** Parses the text format; comment lines are skipped. */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[4]) });
  }
  return out;
}

/** Fetches and parses `url` (a `/metrics` endpoint). */
export async function scrape(url: string): Promise<Sample[]> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return parseMetrics(await res.text());
}

/** Sum of every sample named `name` whose labels include `match`. */
export function sumOf(samples: readonly Sample[], name: string, match: Readonly<Record<string, string>> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);
}

/** The histogram `base` (its `_bucket`, `_count`, `_sum` series, summed over other labels). */
export function histogramOf(samples: readonly Sample[], base: string): Histogram {
  const byLe = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== `${base}_bucket`) continue;
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    byLe.set(le, (byLe.get(le) ?? 0) + s.value);
  }
  const buckets = [...byLe.entries()].sort((a, b) => a[0] - b[0]).map(([le, count]) => ({ le, count }));
  return { buckets, count: sumOf(samples, `${base}_count`), sum: sumOf(samples, `${base}_sum`) };
}

/** `after − before`, bucket by bucket (observations made between two scrapes). */
export function histogramDelta(after: Histogram, before: Histogram): Histogram {
  const prev = new Map(before.buckets.map((b) => [b.le, b.count]));
  return {
    buckets: after.buckets.map((b) => ({ le: b.le, count: b.count - (prev.get(b.le) ?? 0) })),
    count: after.count - before.count,
    sum: after.sum - before.sum,
  };
}

/**
 * The `q` quantile (0..1) by linear interpolation inside the bucket holding rank `q × count`, the
 * lower edge of the first bucket taken as 0 (PromQL `histogram_quantile`). A rank in the `+Inf`
 * bucket returns the highest finite bound. `NaN` when the histogram is empty.
 */
export function histogramQuantile(h: Histogram, q: number): number {
  const total = h.buckets.at(-1)?.count ?? 0;
  if (total <= 0) return NaN;
  const rank = q * total;
  let lowerLe = 0;
  let lowerCount = 0;
  for (const b of h.buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return lowerLe;
      const inBucket = b.count - lowerCount;
      return inBucket <= 0 ? b.le : lowerLe + (b.le - lowerLe) * ((rank - lowerCount) / inBucket);
    }
    lowerLe = b.le;
    lowerCount = b.count;
  }
  return lowerLe;
}
