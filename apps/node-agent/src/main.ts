import { bootService } from '../../../libs/service-core/src/index.ts';
import { NODE_AGENT_SERVICE } from './node-agent-service.ts';

void bootService(NODE_AGENT_SERVICE);
