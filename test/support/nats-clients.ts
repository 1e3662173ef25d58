import { connect, type NatsConnection } from '@nats-io/transport-node';

/**
 * Each lease contender gets its own connection, as separate processes would. A short reconnect wait
 * keeps a nats-server restart well inside the lease ttl used by the tests.
 */
export function connectClient(url: string, name: string): Promise<NatsConnection> {
  return connect({
    servers: url,
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 100,
    timeout: 5_000,
  });
}

let scopeCounter = 0;

/** A scope name of its own for each test, so that tests sharing a nats-server never see each other's keys. */
export function uniqueScope(prefix: string): string {
  scopeCounter += 1;
  return `${prefix}-${process.pid}-${scopeCounter}`;
}
