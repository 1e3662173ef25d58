import { bootService } from '../../../libs/service-core/src/index.ts';
import { ELECTION_SERVICE } from './election-service.ts';

void bootService(ELECTION_SERVICE);
