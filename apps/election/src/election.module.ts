import { Module, type DynamicModule } from '@nestjs/common';
import { ServiceCoreModule } from '../../../libs/service-core/src/index.ts';
import type { MemberConfig } from '../../../libs/member-config/src/index.ts';
import type { ServiceSettings } from '../../../libs/service-settings/src/index.ts';

/** Root module of the election service; its own modules join the service core here. */
@Module({})
export class ElectionModule {
  static forRoot(settings: ServiceSettings, config?: MemberConfig): DynamicModule {
    return { module: ElectionModule, imports: [ServiceCoreModule.forRoot(settings, config)] };
  }
}
