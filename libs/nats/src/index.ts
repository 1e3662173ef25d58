export {
  connectToNats,
  natsConnectionName,
  FIRST_CONNECT_TIMEOUT_MS,
  leastRecentlyDialed,
  MAX_PINGS_OUT,
  PING_INTERVAL_MS,
} from './connect-to-nats.ts';
export { NatsConnectionModule } from './nats-connection.module.ts';
export { NATS_CONNECTION, InjectNatsConnection } from './nats-connection.token.ts';
export { NatsHealthIndicator, NATS_ROUND_TRIP_TIMEOUT_MS } from './nats-health.indicator.ts';
