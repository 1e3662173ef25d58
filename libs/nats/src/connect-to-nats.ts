import { readFile } from 'node:fs/promises';
import {
  connect,
  credsAuthenticator,
  type NatsConnection,
  type Server,
} from '@nats-io/transport-node';
import type { ServiceSettings } from '../../service-settings/src/index.ts';

/** Bounds each attempt to reach a server on the first connect; every server is tried once. */
export const FIRST_CONNECT_TIMEOUT_MS = 5_000;

/**
 * A server that stops answering (its host partitioned away, its process frozen) sends no RST, so the
 * client notices only when its PINGs go unanswered: after `maxPingOut` missed PONGs, 2-3 s with these
 * values, it leaves that server for another. With nats.js's default (a PING every 2 minutes), a lease
 * holder attached to an isolated server would lose its lease (ttl) before noticing, as would every
 * member whose agent is attached to it, although the other two servers of the cluster work.
 */
export const PING_INTERVAL_MS = 1_000;
export const MAX_PINGS_OUT = 2;

/**
 * The server a reconnect dials: the one dialed longest ago. nats.js would dial the server it just left
 * first after an initial connect, and a silent server costs a whole connect timeout before the next.
 */
export function leastRecentlyDialed(pool: readonly Server[]): Server | null {
  if (pool.length === 0) return null;
  return pool.reduce((oldest, server) =>
    server.lastConnect < oldest.lastConnect ? server : oldest,
  );
}

/** `<service>:<scope>:<member>`, as the NATS server shows it among its connections. */
export function natsConnectionName(settings: ServiceSettings): string {
  const parts = [settings.service, settings.scope];
  if (settings.member !== undefined) parts.push(settings.member);
  return parts.join(':');
}

/**
 * Opens the connection a service uses for its whole life. The first connect fails after one round over
 * the servers, so that a misconfigured service stops with a clear error; once connected, the client
 * reconnects forever.
 */
export async function connectToNats(settings: ServiceSettings): Promise<NatsConnection> {
  const name = natsConnectionName(settings);
  const { servers, user, password, credentialsFile, tls } = settings.nats;
  try {
    return await connect({
      servers: [...servers],
      name,
      ...(user === undefined ? {} : { user, pass: password }),
      ...(credentialsFile === undefined
        ? {}
        : { authenticator: credsAuthenticator(await readFile(credentialsFile)) }),
      ...(tls === undefined ? {} : { tls }),
      timeout: FIRST_CONNECT_TIMEOUT_MS,
      waitOnFirstConnect: false,
      maxReconnectAttempts: -1,
      // The lease holder must be renewing again soon after a nats-server restart, well inside ttl.
      reconnectTimeWait: 250,
      pingInterval: PING_INTERVAL_MS,
      maxPingOut: MAX_PINGS_OUT,
      reconnectToServer: leastRecentlyDialed,
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`could not connect to NATS at ${servers.join(', ')} as "${name}": ${reason}`, {
      cause: error,
    });
  }
}
