import type { ServiceName } from './service-names.ts';

export interface NatsSettings {
  readonly servers: readonly string[];
  readonly user?: string;
  readonly password?: string;
  /** A NATS credentials file (JWT and NKey seed), instead of user and password. */
  readonly credentialsFile?: string;
  /** TLS to the NATS servers: CA to trust, and a client certificate and key when the servers ask. */
  readonly tls?: {
    readonly caFile?: string;
    readonly certFile?: string;
    readonly keyFile?: string;
  };
}

export interface HttpSettings {
  readonly host: string;
  readonly port: number;
}

export interface ServiceSettings {
  readonly service: ServiceName;
  readonly namespace: string;
  readonly scope: string;
  /** The PostgreSQL member this process acts for; absent for the cluster-wide services. */
  readonly member?: string;
  readonly nats: NatsSettings;
  readonly http: HttpSettings;
}

/** Injection token under which a service's root module provides its `ServiceSettings`. */
export const SERVICE_SETTINGS = Symbol('ServiceSettings');
