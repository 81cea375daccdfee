import fs from "node:fs";
import path from "node:path";
import nodemailer from "nodemailer";
import SMTPTransport from "nodemailer/lib/smtp-transport/index.js";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import { sha256Hex } from "../ids.js";
import type { EmailPayload } from "./outbox.js";
import { messageIdOf } from "./outbox.js";

export interface MailMessage extends EmailPayload {
  /** The outbox key: becomes the Message-ID and an X-Lockbox-Idempotency-Key header. */
  idempotencyKey: string;
}

/** Sends one mail or throws; a thrown error with a 5xx `responseCode` is a permanent refusal. */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
  close(): void;
}

function toNodemailer(from: string, m: MailMessage): nodemailer.SendMailOptions {
  return {
    from,
    to: m.to,
    subject: m.subject,
    text: m.text,
    html: m.html,
    messageId: messageIdOf(m.idempotencyKey),
    headers: { "X-Lockbox-Idempotency-Key": m.idempotencyKey },
  };
}

/**
 * SMTP when LOCKBOX_SMTP_URL is set; nodemailer reads TLS and auth from the URL itself
 * (`smtps://user:pass@host:465`, `smtp://host:587?requireTLS=true`,
 * `?tls.rejectUnauthorized=false`, `?ignoreTLS=true` — see docs/notifications.md). Without it,
 * every mail is written as an .eml file under `<dataDir>/mail/` and logged, named after its
 * idempotency key, so a retried write replaces the file rather than adding a second one.
 */
export function createMailer(config: Config, log: Logger): Mailer {
  if (config.smtpUrl) {
    // Timeouts well inside the dispatcher's claim lease, so a hanging server cannot outlive the
    // claim and have another run send the same mail again. URL options still win.
    const transport = nodemailer.createTransport(
      new SMTPTransport({ url: config.smtpUrl, connectionTimeout: 20_000, greetingTimeout: 20_000, socketTimeout: 45_000 }),
    );
    return {
      async send(m) {
        await transport.sendMail(toNodemailer(config.smtpFrom, m));
      },
      close: () => transport.close(),
    };
  }
  const dir = path.join(config.dataDir, "mail");
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "unix" });
  return {
    async send(m) {
      const info = await transport.sendMail(toNodemailer(config.smtpFrom, m));
      await fs.promises.mkdir(dir, { recursive: true });
      const file = path.join(dir, `${sha256Hex(m.idempotencyKey).slice(0, 32)}.eml`);
      await fs.promises.writeFile(file, info.message as Buffer);
      log.info({ to: m.to, subject: m.subject, file }, "mail written (no LOCKBOX_SMTP_URL configured)");
    },
    close: () => transport.close(),
  };
}
