import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/nats-core';
import { MEMBER_CONFIG, type MemberConfig } from '../../../libs/member-config/src/index.ts';
import { NATS_CONNECTION } from '../../../libs/nats/src/index.ts';
import { MemberAgent } from './agent/member-agent.ts';

/** Starts the member's agent on the application's NATS connection and stops it at shutdown. */
@Injectable()
export class MemberAgentHost implements OnApplicationShutdown {
  private constructor(readonly agent: MemberAgent) {}

  static async create(nc: NatsConnection, config: MemberConfig): Promise<MemberAgentHost> {
    return new MemberAgentHost(await MemberAgent.start(nc, config));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.agent.stop();
  }
}

export const memberAgentProviders = [
  {
    provide: MemberAgentHost,
    inject: [NATS_CONNECTION, MEMBER_CONFIG],
    useFactory: (nc: NatsConnection, config: MemberConfig) => MemberAgentHost.create(nc, config),
  },
];
