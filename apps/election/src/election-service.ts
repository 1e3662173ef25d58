import type { ServiceDefinition } from '../../../libs/service-core/src/index.ts';
import { ElectionModule } from './election.module.ts';

export const ELECTION_SERVICE: ServiceDefinition = {
  service: 'election',
  rootModule: (settings, config) => ElectionModule.forRoot(settings, config),
};
