export { LoggingModule } from './logging.module.ts';
export { createNestLogger } from './nest-logger.ts';
export { createServiceLog, serviceLogFields, type ServiceLogFields } from './service-log.ts';
