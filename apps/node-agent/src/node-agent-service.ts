import type { ServiceDefinition } from '../../../libs/service-core/src/index.ts';
import { NodeAgentModule } from './node-agent.module.ts';

export const NODE_AGENT_SERVICE: ServiceDefinition = {
  service: 'node-agent',
  rootModule: (settings, config) => NodeAgentModule.forRoot(settings, config),
};
