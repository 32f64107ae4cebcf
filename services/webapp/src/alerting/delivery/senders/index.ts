import type { AlertNotification, ContactKind, ContactSettings } from '../../../../../../common/schemas/src/alerts.js';
import type { DeliveryConfig, SmtpConfig } from '../config.js';
import { alertmanagerAlerts, slackBody } from '../formats.js';
import { runCommand } from './command.js';
import { postJson } from './http.js';
import { sendMail } from './mail.js';

/** Sends one notification to one contact; rejects with a SendError (or anything: then retried). */
export type Sender = (n: AlertNotification, settings: ContactSettings, signal: AbortSignal) => Promise<void>;

export type Senders = Record<ContactKind, Sender>;

/** The sender of each contact kind. Settings arrive validated, of the sender's own kind. */
export function createSenders(config: { smtp: SmtpConfig; delivery: DeliveryConfig }): Senders {
  const { smtp, delivery } = config;
  return {
    email: (n, s, signal) => sendMail(n, (s as Extract<ContactSettings, { kind: 'email' }>).to, smtp, delivery.send_timeout_ms, signal),
    webhook: (n, s, signal) => postJson((s as Extract<ContactSettings, { kind: 'webhook' }>).url, n, signal),
    slack: (n, s, signal) => {
      const slack = s as Extract<ContactSettings, { kind: 'slack' }>;
      return postJson(slack.url, slackBody(n, slack.channel), signal);
    },
    alertmanager: (n, s, signal) => {
      const base = (s as Extract<ContactSettings, { kind: 'alertmanager' }>).url.replace(/\/+$/, '');
      return postJson(`${base}/api/v2/alerts`, alertmanagerAlerts(n, delivery.alertmanager_active_ms), signal);
    },
    command: (n, s, signal) => runCommand(n, s as Extract<ContactSettings, { kind: 'command' }>, signal),
  };
}
