/**
 * E-mail notifications through SMTP (nodemailer). One mail per FIRING transition (including an
 * escalation to CRITICAL) and one per RESOLVED.
 */
import nodemailer from 'nodemailer';
import type { Alert } from '@busbar/avro';

/** SMTP settings. */
export interface EmailSettings {
  readonly smtp: { readonly host: string; readonly port: number; readonly secure: boolean; readonly user?: string | undefined; readonly password?: string | undefined };
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

/** Sends alert mails over one pooled SMTP transport. */
export class EmailNotifier {
  private readonly transport;

  /** @param settings - SMTP server and addresses. */
  constructor(private readonly settings: EmailSettings) {
    this.transport = nodemailer.createTransport({
      host: settings.smtp.host,
      port: settings.smtp.port,
      secure: settings.smtp.secure,
      ignoreTLS: !settings.smtp.secure,
      ...(settings.smtp.user ? { auth: { user: settings.smtp.user, pass: settings.smtp.password ?? '' } } : {}),
    });
  }

  /** Sends the mail of one alert transition. @throws nodemailer's error (SMTP refused or unreachable). */
  async send(a: Alert): Promise<void> {
    const { subject, text } = formatAlertMail(a);
    await this.transport.sendMail({ from: this.settings.from, to: [...this.settings.to], subject, text, headers: { 'X-Busbar-Alert-Id': a.alert_id, 'X-Busbar-Alert-State': a.state } });
  }

  /** Closes the transport. */
  close(): void {
    this.transport.close();
  }
}
