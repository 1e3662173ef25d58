import { bootService } from '../../../libs/service-core/src/index.ts';
import { ElectionModule } from './election.module.ts';

void bootService('election', (settings, config) => ElectionModule.forRoot(settings, config));
