import { readFile } from 'node:fs/promises';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import type { ServiceSettings } from '../../service-settings/src/index.ts';

/** Bounds each attempt to reach a server on the first connect; every server is tried once. */
export const FIRST_CONNECT_TIMEOUT_MS = 5_000;

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
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`could not connect to NATS at ${servers.join(', ')} as "${name}": ${reason}`, {
      cause: error,
    });
  }
}
