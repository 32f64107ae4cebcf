import nodemailer from 'nodemailer';
import type { AlertNotification } from '../../../../../../common/schemas/src/alerts.js';
import type { SmtpConfig } from '../config.js';
import { SendError } from '../errors.js';
import { mailContent } from '../formats.js';

/**
 * One mail per notification through the `[smtp]` relay. A connection per send (alerts are
 * few; a pooled connection would outlive a relay restart badly). The Message-ID is made of
 * the notification's id, so a mail re-sent after a crash is recognisably the same one.
 */
export async function sendMail(
  n: AlertNotification,
  to: string[],
  smtp: SmtpConfig,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.tls,
    requireTLS: smtp.starttls === 'require',
    ignoreTLS: smtp.starttls === 'never',
    tls: { rejectUnauthorized: smtp.tls_verify },
    ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password } } : {}),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  const abort = () => transport.close();
  signal.addEventListener('abort', abort, { once: true });
  try {
    const { subject, text } = mailContent(n, smtp.subject_prefix);
    await transport.sendMail({
      from: smtp.from,
      to,
      subject,
      text,
      messageId: `<${messageIdPart(n.id)}@numeter>`,
      headers: { 'X-Numeter-Notification': messageIdPart(n.id) },
      // nothing in a notification may make nodemailer read a file or fetch a URL
      disableFileAccess: true,
      disableUrlAccess: true,
    });
  } catch (error) {
    const code = (error as { responseCode?: number }).responseCode;
    // 5xx is the relay refusing this mail for good (bad recipient, policy); the rest may pass later
    const permanent = typeof code === 'number' && code >= 500 && code < 600;
    throw new SendError(`mail through ${smtp.host}:${smtp.port} failed`, permanent, { cause: error });
  } finally {
    signal.removeEventListener('abort', abort);
    transport.close();
  }
}

/** The id as a Message-ID local part: letters, digits and `.-_` only. */
function messageIdPart(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_');
}
