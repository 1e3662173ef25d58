import { Module, type DynamicModule } from '@nestjs/common';
import { MemberActionRelay } from './member-action-relay.ts';
import { RecentEvents } from './recent-events.ts';
import { StatusFeed } from './status-feed.ts';
import { StatusPageController } from './status-page.controller.ts';

/** The live status page at `/ui/` (docs/status-page.md); it reads the Patroni API module's cluster view. */
@Module({})
export class StatusPageModule {
  static forRoot(patroni: DynamicModule): DynamicModule {
    return {
      module: StatusPageModule,
      imports: [patroni],
      controllers: [StatusPageController],
      providers: [MemberActionRelay, RecentEvents, StatusFeed],
    };
  }
}
