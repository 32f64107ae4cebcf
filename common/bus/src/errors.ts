/** Why a publish did not end with a broker confirm. The spool keeps the message. */
export class PublishError extends Error {
  override name = 'PublishError';
}

/** No connection or channel to the broker, or it closed before confirming. */
export class BrokerUnavailableError extends PublishError {
  override name = 'BrokerUnavailableError';
}

/** The broker refused the message (basic.nack): e.g. a queue at its length limit with reject-publish. */
export class MessageNackedError extends PublishError {
  override name = 'MessageNackedError';
}

/** `mandatory` publish no queue took (basic.return): no storage is bound to this routing key yet. */
export class MessageUnroutableError extends PublishError {
  override name = 'MessageUnroutableError';
  constructor(
    message: string,
    readonly replyCode: number,
    readonly replyText: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** publish() was given a message that fails the schema: a bug in the caller, never retried. */
export class InvalidMessageError extends Error {
  override name = 'InvalidMessageError';
}

/** The broker URL cannot be parsed (amqplib would guess a port for `host:notaport`): a configuration error. */
export class InvalidBrokerUrlError extends Error {
  override name = 'InvalidBrokerUrlError';
}
