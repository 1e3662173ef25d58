import { Logger, type Provider } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/nats-core';
import { AgentClient } from '../../../libs/agent-client/src/index.ts';
import { ClusterStore, ClusterWatch, LeaderLease } from '../../../libs/dcs/src/index.ts';
import { ensureEventStream, EventPublisher } from '../../../libs/events/src/index.ts';
import { FailsafeNotices } from '../../../libs/failsafe/src/index.ts';
import { LeaseConfirmations } from '../../../libs/lease-confirmation/src/index.ts';
import { MEMBER_CONFIG, type MemberConfig } from '../../../libs/member-config/src/index.ts';
import { NATS_CONNECTION } from '../../../libs/nats/src/index.ts';
import {
  SERVICE_SETTINGS,
  type ServiceSettings,
} from '../../../libs/service-settings/src/index.ts';
import { timingsOf, type ElectionContext } from './election-context.ts';
import { MemberAgents } from './member-agents.ts';

/** The token of what every part of one member's election shares. */
export const ELECTION_CONTEXT = Symbol('ELECTION_CONTEXT');

const BUS = [NATS_CONNECTION, SERVICE_SETTINGS];

/**
 * The election's collaborators over NATS, each built once by NestJS: the cluster's KV store, its watch
 * and the leader lease (ready when injected), the agents, the event stream, failsafe notices and lease
 * confirmations.
 */
export const ELECTION_PROVIDERS: Provider[] = [
  {
    provide: ClusterStore,
    inject: [...BUS, MEMBER_CONFIG],
    useFactory: (nc: NatsConnection, settings: ServiceSettings, config: MemberConfig) =>
      ClusterStore.open(nc, {
        namespace: settings.namespace,
        scope: settings.scope,
        replicas: config.nats.kv_replicas,
        requestTimeoutMs: 2_000,
      }),
  },
  {
    provide: ClusterWatch,
    inject: [ClusterStore],
    useFactory: (store: ClusterStore) => ClusterWatch.start(store),
  },
  {
    provide: LeaderLease,
    inject: [ClusterStore, ClusterWatch, MEMBER_CONFIG],
    useFactory: async (store: ClusterStore, watch: ClusterWatch, config: MemberConfig) => {
      const lease = new LeaderLease(store, {
        member: config.name,
        ttlMs: timingsOf(watch.view, config).ttlMs,
      });
      await lease.start();
      return lease;
    },
  },
  {
    provide: MemberAgents,
    inject: BUS,
    useFactory: (nc: NatsConnection, settings: ServiceSettings) =>
      new MemberAgents(new AgentClient(nc, settings.namespace, settings.scope)),
  },
  {
    provide: EventPublisher,
    inject: [...BUS, MEMBER_CONFIG],
    useFactory: async (nc: NatsConnection, settings: ServiceSettings, config: MemberConfig) => {
      const { namespace, scope } = settings;
      await ensureEventStream(nc, namespace, scope, { replicas: config.nats.kv_replicas });
      return new EventPublisher(nc, { namespace, scope });
    },
  },
  {
    provide: FailsafeNotices,
    inject: BUS,
    useFactory: (nc: NatsConnection, settings: ServiceSettings) =>
      new FailsafeNotices(nc, settings.namespace, settings.scope),
  },
  {
    provide: LeaseConfirmations,
    inject: BUS,
    useFactory: (nc: NatsConnection, settings: ServiceSettings) =>
      new LeaseConfirmations(nc, settings.namespace, settings.scope),
  },
  {
    provide: ELECTION_CONTEXT,
    inject: [MEMBER_CONFIG, ClusterStore, ClusterWatch, LeaderLease, MemberAgents, EventPublisher],
    useFactory: (
      config: MemberConfig,
      store: ClusterStore,
      watch: ClusterWatch,
      lease: LeaderLease,
      agents: MemberAgents,
      events: EventPublisher,
    ): ElectionContext => ({
      member: config.name,
      config,
      store,
      watch,
      lease,
      agents,
      events,
      logger: new Logger('HaLoop'),
    }),
  },
];
