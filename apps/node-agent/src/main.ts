import { bootService } from '../../../libs/service-core/src/index.ts';
import { NodeAgentModule } from './node-agent.module.ts';

void bootService('node-agent', (settings, config) => NodeAgentModule.forRoot(settings, config));
