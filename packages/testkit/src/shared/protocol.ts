/**
 * What travels between the shared-server control endpoint (in Vitest's main process, started by
 * the global setup) and the test workers: plain JSON over HTTP on 127.0.0.1.
 *
 * Routes: `POST /kafka` → {@link SharedKafka}, `POST /influx` → {@link SharedInflux},
 * `POST /smtp` → {@link SharedSmtp} (each starts its server on the first request and answers the
 * same address afterwards); `GET /smtp/messages?to=<address>` → {@link WireMail}[] received for
 * that recipient; `GET /starts` → {@link SharedStarts}; `POST /lock?ticket=<id>&mode=shared|exclusive`
 * → `{ granted }` (a long poll: answers once the test file `ticket` holds the run's file lock, or
 * `false` after 20 s, then asked again) and `POST /unlock?ticket=<id>` (see `file-lock.ts`).
 */

/** The value the global setup hands to the tests with `provide('busbarTestkit', …)`. */
export interface SharedServersInfo {
  /** Base URL of the control endpoint, `http://127.0.0.1:<port>`. */
  readonly controlUrl: string;
}

/** The shared Kafka broker. */
export interface SharedKafka {
  /** `['127.0.0.1:<port>']`, for kafkajs `brokers`. */
  readonly brokers: string[];
}

/** The shared InfluxDB server: its onboarded organisation and operator token (all permissions). */
export interface SharedInflux {
  /** Base URL, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Organisation name. */
  readonly org: string;
  /** Organisation id (16 hex chars). */
  readonly orgId: string;
  /** Operator token. */
  readonly token: string;
}

/** The shared SMTP server (plain SMTP, STARTTLS disabled, any credentials accepted). */
export interface SharedSmtp {
  /** Always `127.0.0.1`. */
  readonly host: string;
  /** The port it listens on. */
  readonly port: number;
}

/** A received message as JSON: envelope, the main parsed fields, attachments in base64. */
export interface WireMail {
  /** `MAIL FROM` address. */
  readonly mailFrom: string;
  /** `RCPT TO` addresses. */
  readonly rcptTo: readonly string[];
  /** `Subject:` header. */
  readonly subject: string | undefined;
  /** `From:` header as text. */
  readonly from: string | undefined;
  /** `To:` header as text. */
  readonly to: string | undefined;
  /** `Date:` header, ISO 8601. */
  readonly date: string | undefined;
  /** Plain-text body. */
  readonly text: string | undefined;
  /** HTML body. */
  readonly html: string | undefined;
  /** Attachments, content base64. */
  readonly attachments: readonly { readonly filename: string | undefined; readonly contentType: string; readonly contentBase64: string }[];
}

declare module 'vitest' {
  /** Values the testkit global setup provides to every test of the project. */
  interface ProvidedContext {
    /** Where the shared-server control endpoint listens (see `@busbar/testkit/shared`). */
    busbarTestkit: SharedServersInfo;
  }
}

/** How many times each shared server was started in this run (0 or 1 each). */
export type SharedStarts = Readonly<Record<'kafka' | 'influx' | 'smtp', number>>;
