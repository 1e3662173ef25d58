import { Module, type DynamicModule } from '@nestjs/common';
import type { MemberConfig } from '../../../libs/member-config/src/index.ts';
import { ServiceCoreModule } from '../../../libs/service-core/src/index.ts';
import type { ServiceSettings } from '../../../libs/service-settings/src/index.ts';
import { memberAgentProviders } from './member-agent.provider.ts';

/**
 * Root module of the node-agent service: the service core plus the member's agent (PostgreSQL
 * lifecycle, status publication, command responder, self-fencing), configured by `config`. Without a
 * member configuration only the service core runs (health), as the services' smoke test boots it.
 */
@Module({})
export class NodeAgentModule {
  static forRoot(settings: ServiceSettings, config?: MemberConfig): DynamicModule {
    return {
      module: NodeAgentModule,
      imports: [ServiceCoreModule.forRoot(settings, config)],
      providers: config === undefined ? [] : memberAgentProviders,
    };
  }
}
