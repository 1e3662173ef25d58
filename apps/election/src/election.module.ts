import { Module, type DynamicModule } from '@nestjs/common';
import type { MemberConfig } from '../../../libs/member-config/src/index.ts';
import { ServiceCoreModule } from '../../../libs/service-core/src/index.ts';
import type { ServiceSettings } from '../../../libs/service-settings/src/index.ts';
import { FailsafeNoticeController } from './failsafe-notice.controller.ts';
import { HaLoop } from './ha-loop.ts';

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
      providers: [HaLoop],
    };
  }
}
