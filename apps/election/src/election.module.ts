import { Module, type DynamicModule } from '@nestjs/common';
import type { MemberConfig } from '../../../libs/member-config/src/index.ts';
import { ServiceCoreModule } from '../../../libs/service-core/src/index.ts';
import type { ServiceSettings } from '../../../libs/service-settings/src/index.ts';
import { FailsafeNoticeController } from './failsafe-notice.controller.ts';
import { ConfigChangeEvents } from './config-change-events.ts';
import { SyncChangeEvents } from './sync-change-events.ts';
import { ELECTION_PROVIDERS } from './election-providers.ts';
import { FailsafeGrants } from './failsafe-grants.ts';
import { FollowerDuties } from './follower-duties.ts';
import { HaLoop } from './ha-loop.ts';
import { MembershipEvents } from './membership-events.ts';
import { StandbyLeaderDuties } from './standby-leader-duties.ts';
import { SynchronousReplication } from './synchronous-replication.ts';

/** Root module of the election service: the HA loop of one member. */
@Module({})
export class ElectionModule {
  static forRoot(settings: ServiceSettings, config: MemberConfig | undefined): DynamicModule {
    if (!config) {
      throw new Error('the election needs its member configuration file: set NATRONI_CONFIG');
    }
    return {
      module: ElectionModule,
      imports: [ServiceCoreModule.forRoot(settings, config)],
      controllers: [FailsafeNoticeController],
      providers: [
        ...ELECTION_PROVIDERS,
        FollowerDuties,
        StandbyLeaderDuties,
        SynchronousReplication,
        MembershipEvents,
        ConfigChangeEvents,
        SyncChangeEvents,
        FailsafeGrants,
        HaLoop,
      ],
    };
  }
}
