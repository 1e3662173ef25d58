import type { ServiceName } from './service-names.ts';

export interface NatsSettings {
  readonly servers: readonly string[];
  readonly user?: string;
  readonly password?: string;
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
