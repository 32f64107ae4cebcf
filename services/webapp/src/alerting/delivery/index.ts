/**
 * Alert delivery (docs/alerting.md, "Contacts"): the NotificationDispatcher Component that
 * sends the `alert_notifications` outbox to contacts, the message forms, and the munin.conf
 * contact import. The alerting service starts the dispatcher; nothing else here runs alone.
 */
export type { DeliveryConfig, SmtpConfig } from './config.js';
export { createNotificationDispatcher, type DispatcherDeps, NotificationDispatcher } from './dispatcher.js';
export { alertmanagerAlerts, mailContent, notificationText, slackBody } from './formats.js';
