/**
 * E-mail notifications through SMTP (nodemailer). One mail per FIRING transition (including an
 * escalation to CRITICAL) and one per RESOLVED (or one per group, built-in `group_by`). Subject and
 * text are {@link formatAlertMail}'s / {@link formatGroupMail}'s, or rendered by the configured
 * Handlebars templates (`email.templates`, `notify/template.ts`).
 *
 * Transport security (nodemailer `secure`, `requireTLS`, `ignoreTLS`, `tls.ca`, `tls.rejectUnauthorized`):
 * - `secure: true`: implicit TLS from the first byte (SMTPS, port 465);
 * - otherwise STARTTLS is used whenever the server offers it; `requireTLS: true` makes it
 *   mandatory (a server without STARTTLS fails the send with `BB_ALERTER_SMTP_TLS_FAILED`, and no
 *   credentials or mail travel in clear); `ignoreTLS: true` (only when asked) never upgrades;
 * - the server certificate is verified (`rejectUnauthorized` default true) against the system CAs
 *   or `ca` (PEM of a private CA, from `caFile`).
 *
 * Every wait has an explicit bound ({@link DEFAULT_SMTP_TIMEOUTS_MS}): nodemailer's own defaults
 * (2 min to connect, 30 s for the greeting, 10 min of socket inactivity) would hold an alert's
 * notifications, and the consumer batch behind them, for minutes when the mail server hangs.
 */
import nodemailer from 'nodemailer';
import type { Alert } from '@busbar/avro';
import { BusbarError } from '@busbar/core';
import type { AlertGroup } from './group.js';
import { groupStatus, singleAlertGroup } from './group.js';
import type { LabelSettings } from '../routing/labels.js';
import { groupRenderer } from './template.js';

/**
 * Default SMTP timeouts, ms: `connectionTimeoutMs` to establish the TCP (or TLS) connection,
 * `greetingTimeoutMs` from connected to the server's 220 greeting, `socketTimeoutMs` of
 * inactivity on an open connection. Passed to nodemailer as `connectionTimeout`,
 * `greetingTimeout`, `socketTimeout`.
 */
export const DEFAULT_SMTP_TIMEOUTS_MS = { connectionTimeoutMs: 10_000, greetingTimeoutMs: 10_000, socketTimeoutMs: 20_000 } as const;

/** SMTP settings. Timeouts in ms; when absent, {@link DEFAULT_SMTP_TIMEOUTS_MS}. */
export interface EmailSettings {
  readonly smtp: {
    readonly host: string;
    readonly port: number;
    /** Implicit TLS (SMTPS, usually port 465). */
    readonly secure: boolean;
    /** Fail unless the connection is upgraded with STARTTLS (ports 25/587). Default false. */
    readonly requireTLS?: boolean | undefined;
    /** Never use STARTTLS, even when offered (a local relay that mishandles it). Default false. */
    readonly ignoreTLS?: boolean | undefined;
    /** PEM of the CA that signed the server's certificate (a private CA); default: the system CAs. */
    readonly ca?: string | undefined;
    /** Verify the server's certificate. Default true. */
    readonly rejectUnauthorized?: boolean | undefined;
    readonly user?: string | undefined;
    /** The password (resolved from `passwordFile` by the configuration loader). */
    readonly password?: string | undefined;
    /** Time to establish the connection, ms (default 10 000). */
    readonly connectionTimeoutMs?: number | undefined;
    /** Time from connected to the SMTP greeting, ms (default 10 000). */
    readonly greetingTimeoutMs?: number | undefined;
    /** Inactivity allowed on an open connection, ms (default 20 000). */
    readonly socketTimeoutMs?: number | undefined;
  };
  readonly from: string;
  readonly to: readonly string[];
  /**
   * Handlebars templates of the mail (`notify/template.ts`; the configuration loader has read
   * `subjectFile`/`textFile` and checked them): `subject` (rendered, then its whitespace runs —
   * line breaks included — made one space and trimmed) and `text` (the plain-text body, as
   * rendered). Either absent: {@link formatGroupMail}'s. `generatorUrl`: the context's per-alert
   * link template.
   */
  readonly templates?: { readonly subject?: string | undefined; readonly text?: string | undefined; readonly generatorUrl?: string | undefined } | undefined;
  /** Label settings of the templates' `labels` (`routing.labels`/`deviceLabels`; default none). */
  readonly labels?: LabelSettings | undefined;
}

/** Subject and text of the mail for one alert transition. */
export function formatAlertMail(a: Alert): { subject: string; text: string } {
  const where = a.channel === null ? a.device_id : `${a.device_id} channel ${a.channel}`;
  const subject = a.state === 'FIRING'
    ? `[Busbar ${a.severity}] ${where}: ${a.signal} = ${a.value ?? '?'} (bound ${a.threshold ?? '?'})`
    : `[Busbar RESOLVED] ${where}: ${a.signal} = ${a.value ?? '?'} back past ${a.threshold ?? '?'}`;
  const text = [
    a.message,
    '',
    `Device:    ${a.device_id}`,
    `Channel:   ${a.channel ?? '-'}`,
    `Signal:    ${a.signal}`,
    `Value:     ${a.value ?? '-'}`,
    `Bound:     ${a.threshold ?? '-'}`,
    `Severity:  ${a.severity}`,
    `State:     ${a.state}`,
    `Time:      ${a.timestamp.toISOString()}`,
    `Rule:      ${a.rule}`,
    `Alert id:  ${a.alert_id}`,
  ].join('\n');
  return { subject, text };
}

/**
 * Subject and text of the mail for a group of alerts (built-in `group_by`): a group of one is
 * {@link formatAlertMail}'s mail; otherwise the subject counts firing and resolved alerts and names
 * the group's labels, and the text holds each alert's {@link formatAlertMail} text, firing first.
 */
export function formatGroupMail(group: AlertGroup): { subject: string; text: string } {
  if (group.alerts.length === 1) return formatAlertMail(group.alerts[0]!);
  const firing = group.alerts.filter((a) => a.state !== 'RESOLVED');
  const resolved = group.alerts.filter((a) => a.state === 'RESOLVED');
  const labels = Object.entries(group.groupLabels).map(([k, v]) => `${k}=${v}`).join(' ');
  const counts = [firing.length > 0 ? `${firing.length} firing` : '', resolved.length > 0 ? `${resolved.length} resolved` : ''].filter((x) => x !== '').join(', ');
  const worst = firing.some((a) => a.severity === 'CRITICAL') ? 'CRITICAL' : firing.length > 0 ? 'WARNING' : 'RESOLVED';
  const subject = `[Busbar ${worst}] ${counts}: ${labels}`;
  const text = [...firing, ...resolved].map((a) => formatAlertMail(a).text).join('\n\n----\n\n');
  return { subject, text: `${group.alerts.length} alerts (${counts}), grouped by ${labels}; status ${groupStatus(group)}\n\n${text}` };
}

/** Compiled mail templates (`notify/template.ts` `groupRenderer`): group → subject / text. */
export interface MailRenderers {
  readonly subject?: ((group: AlertGroup) => string) | undefined;
  readonly text?: ((group: AlertGroup) => string) | undefined;
}

/**
 * Subject and text of a group's mail (pure): each by its template when there is one (the subject's
 * whitespace runs, line breaks included, made one space, trimmed), else {@link formatGroupMail}'s —
 * for a group of one, {@link formatAlertMail}'s.
 *
 * @throws {BusbarError} `BB_ALERTER_TEMPLATE_RENDER_FAILED` (not retriable) when a template fails to render.
 */
export function composeMail(group: AlertGroup, renderers: MailRenderers = {}): { subject: string; text: string } {
  const byDefault = renderers.subject === undefined || renderers.text === undefined ? formatGroupMail(group) : undefined;
  return {
    subject: renderers.subject === undefined ? byDefault!.subject : renderers.subject(group).replace(/\s+/g, ' ').trim(),
    text: renderers.text === undefined ? byDefault!.text : renderers.text(group),
  };
}

/** TLS errors of Node and OpenSSL (certificate checks, handshake) as found in `code`. */
const TLS_CODES = /^(ETLS|ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH)/;

/** A nodemailer error as a {@link BusbarError} naming the server, without credentials. */
function smtpError(cause: unknown, smtp: EmailSettings['smtp']): BusbarError {
  const e = cause as Error & { code?: unknown; reason?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const where = `SMTP ${smtp.host}:${smtp.port}`;
  let reason = e.message ?? String(cause);
  if (smtp.password !== undefined && smtp.password !== '') reason = reason.split(smtp.password).join('[redacted]');
  // nodemailer replaces the code of a socket error (a certificate check failing in the handshake) by ESOCKET
  const tlsSocketError = code === 'ESOCKET' && /certificate|\bssl\b|\btls\b|handshake|self[- ]signed/i.test(reason);
  if ((code !== undefined && TLS_CODES.test(code)) || tlsSocketError) {
    const hint = smtp.secure ? 'implicit TLS (secure: true)' : smtp.requireTLS ? 'STARTTLS is required (requireTLS: true)' : 'STARTTLS was offered';
    return new BusbarError('BB_ALERTER_SMTP_TLS_FAILED', `${where}: TLS could not be established (${hint}): ${reason} [${code}]`, { retriable: true, context: { host: smtp.host, port: smtp.port, code } });
  }
  return new BusbarError('BB_ALERTER_SMTP_FAILED', `${where}: ${reason}${code === undefined ? '' : ` [${code}]`}`, { retriable: true, context: { host: smtp.host, port: smtp.port, ...(code === undefined ? {} : { code }) } });
}

/** Sends alert mails over one pooled SMTP transport (up to 2 connections, kept open and reused). */
export class EmailNotifier {
  private readonly transport;
  private readonly renderers: MailRenderers;

  /**
   * @param settings - SMTP server, addresses, templates.
   * @throws {BusbarError} `BB_ALERTER_TEMPLATE_INVALID` when a template does not compile.
   */
  constructor(private readonly settings: EmailSettings) {
    const t = settings.templates;
    const options = { receiver: 'email', labels: settings.labels, generatorUrl: t?.generatorUrl };
    this.renderers = {
      ...(t?.subject === undefined ? {} : { subject: groupRenderer(t.subject, 'email (email.templates.subject)', 'text', options) }),
      ...(t?.text === undefined ? {} : { text: groupRenderer(t.text, 'email (email.templates.text)', 'text', options) }),
    };
    this.transport = nodemailer.createTransport({
      // pooled: a few long-lived connections reused for every mail (a new connection per mail was
      // most of the reading → mail latency, issue 15); a broken one is replaced on the next send
      pool: true,
      maxConnections: 2,
      host: settings.smtp.host,
      port: settings.smtp.port,
      secure: settings.smtp.secure,
      requireTLS: settings.smtp.requireTLS ?? false,
      ignoreTLS: settings.smtp.ignoreTLS ?? false,
      tls: { rejectUnauthorized: settings.smtp.rejectUnauthorized ?? true, ...(settings.smtp.ca === undefined ? {} : { ca: settings.smtp.ca }) },
      connectionTimeout: settings.smtp.connectionTimeoutMs ?? DEFAULT_SMTP_TIMEOUTS_MS.connectionTimeoutMs,
      greetingTimeout: settings.smtp.greetingTimeoutMs ?? DEFAULT_SMTP_TIMEOUTS_MS.greetingTimeoutMs,
      socketTimeout: settings.smtp.socketTimeoutMs ?? DEFAULT_SMTP_TIMEOUTS_MS.socketTimeoutMs,
      ...(settings.smtp.user ? { auth: { user: settings.smtp.user, pass: settings.smtp.password ?? '' } } : {}),
    });
  }

  /**
   * Sends the mail of one alert transition.
   *
   * @throws {BusbarError} `BB_ALERTER_SMTP_TLS_FAILED` when TLS could not be established (STARTTLS
   *   required but not offered or refused, certificate not trusted, handshake failed);
   *   `BB_ALERTER_SMTP_FAILED` otherwise: refused (e.g. authentication), unreachable, or a timeout
   *   (e.g. "Greeting never received", after `greetingTimeoutMs`). The message carries nodemailer's
   *   reason and its code (`ETLS`, `EAUTH`, `ETIMEDOUT`…), never the password; both are retriable.
   *   `BB_ALERTER_TEMPLATE_RENDER_FAILED` (not retriable) when a template fails to render.
   */
  async send(a: Alert): Promise<void> {
    const { subject, text } = composeMail(singleAlertGroup(a), this.renderers);
    await this.deliver(subject, text, { 'X-Busbar-Alert-Id': a.alert_id, 'X-Busbar-Alert-State': a.state });
  }

  /**
   * Sends one mail for a group of alerts ({@link formatGroupMail}); headers
   * `X-Busbar-Group-Key`, `X-Busbar-Alert-Ids` (comma-separated) and `X-Busbar-Group-Status`
   * (`firing`/`resolved`); a group of one carries {@link EmailNotifier.send}'s headers too.
   *
   * @throws {BusbarError} as {@link EmailNotifier.send}.
   */
  async sendGroup(group: AlertGroup): Promise<void> {
    const { subject, text } = composeMail(group, this.renderers);
    const one = group.alerts.length === 1 ? group.alerts[0] : undefined;
    await this.deliver(subject, text, {
      'X-Busbar-Group-Key': group.key,
      'X-Busbar-Alert-Ids': group.alerts.map((a) => a.alert_id).join(','),
      'X-Busbar-Group-Status': groupStatus(group),
      ...(one === undefined ? {} : { 'X-Busbar-Alert-Id': one.alert_id, 'X-Busbar-Alert-State': one.state }),
    });
  }

  private async deliver(subject: string, text: string, headers: Record<string, string>): Promise<void> {
    try {
      await this.transport.sendMail({ from: this.settings.from, to: [...this.settings.to], subject, text, headers });
    } catch (cause) {
      throw smtpError(cause, this.settings.smtp);
    }
  }

  /** Closes the transport. */
  close(): void {
    this.transport.close();
  }
}
