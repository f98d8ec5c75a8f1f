/**
 * E-mail notifications through SMTP (nodemailer). One mail per FIRING transition (including an
 * escalation to CRITICAL) and one per RESOLVED.
 *
 * Every wait has an explicit bound ({@link DEFAULT_SMTP_TIMEOUTS_MS}): nodemailer's own defaults
 * (2 min to connect, 30 s for the greeting, 10 min of socket inactivity) would hold an alert's
 * notifications, and the consumer batch behind them, for minutes when the mail server hangs.
 */
import nodemailer from 'nodemailer';
import type { Alert } from '@busbar/avro';

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
    readonly secure: boolean;
    readonly user?: string | undefined;
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

/** Sends alert mails over one SMTP transport (a connection per mail). */
export class EmailNotifier {
  private readonly transport;

  /** @param settings - SMTP server and addresses. */
  constructor(private readonly settings: EmailSettings) {
    this.transport = nodemailer.createTransport({
      host: settings.smtp.host,
      port: settings.smtp.port,
      secure: settings.smtp.secure,
      ignoreTLS: !settings.smtp.secure,
      connectionTimeout: settings.smtp.connectionTimeoutMs ?? DEFAULT_SMTP_TIMEOUTS_MS.connectionTimeoutMs,
      greetingTimeout: settings.smtp.greetingTimeoutMs ?? DEFAULT_SMTP_TIMEOUTS_MS.greetingTimeoutMs,
      socketTimeout: settings.smtp.socketTimeoutMs ?? DEFAULT_SMTP_TIMEOUTS_MS.socketTimeoutMs,
      ...(settings.smtp.user ? { auth: { user: settings.smtp.user, pass: settings.smtp.password ?? '' } } : {}),
    });
  }

  /**
   * Sends the mail of one alert transition.
   *
   * @throws nodemailer's error: SMTP refused or unreachable, or a timeout (`code` `ETIMEDOUT`,
   *   e.g. "Greeting never received", after `greetingTimeoutMs`).
   */
  async send(a: Alert): Promise<void> {
    const { subject, text } = formatAlertMail(a);
    await this.transport.sendMail({ from: this.settings.from, to: [...this.settings.to], subject, text, headers: { 'X-Busbar-Alert-Id': a.alert_id, 'X-Busbar-Alert-State': a.state } });
  }

  /** Closes the transport. */
  close(): void {
    this.transport.close();
  }
}
