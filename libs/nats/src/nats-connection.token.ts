import { Inject } from '@nestjs/common';

/** Injection token of the application's single NATS connection (a `NatsConnection`). */
export const NATS_CONNECTION = Symbol('NatsConnection');

export const InjectNatsConnection = (): ParameterDecorator => Inject(NATS_CONNECTION);
