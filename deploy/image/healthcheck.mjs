/* global process, fetch, AbortSignal */
// Health check of a Busbar container (the image's HEALTHCHECK, Compose's healthcheck): GET the
// service's ops endpoint, exit 0 on a 2xx answer, 1 otherwise (the image has no shell, curl or wget).
//   node /opt/busbar/healthcheck.mjs [URL]
// URL default: $HEALTHCHECK_URL, else http://127.0.0.1:9464/readyz (readiness on a collector's default ops port).
const url = process.argv[2] ?? process.env.HEALTHCHECK_URL ?? 'http://127.0.0.1:9464/readyz';
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(4000) });
  process.exitCode = res.ok ? 0 : 1;
  if (!res.ok) process.stderr.write(`healthcheck: ${url} answered ${res.status}\n`);
} catch (err) {
  process.stderr.write(`healthcheck: ${url}: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
