/**
 * The AMQP heartbeat of every service's broker connection unless configured (poller
 * `amqp_heartbeat`, storage `[amqp] heartbeat`): a dead broker or a silently dropped TCP
 * connection is noticed within about two of these, and a fleet of pollers does not keep
 * the broker busy with heartbeats.
 */
export const DEFAULT_HEARTBEAT_SECONDS = 30;
