import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createNestLogger, createServiceLog, serviceLogFields } from '../../logging/src/index.ts';
import {
  COMPOSED_SERVICES_ENV,
  composedServicesFromEnv,
  SETTINGS_ENV,
  type ServiceName,
} from '../../service-settings/src/index.ts';
import {
  createServiceApp,
  failedToStart,
  listenServiceApp,
  loadServiceSettings,
  type ServiceDefinition,
} from './boot-service.ts';

/** Loads a service's definition only when the process runs it, so that the others' modules stay unread. */
export type ServiceDefinitionLoaders = Readonly<
  Record<ServiceName, () => Promise<ServiceDefinition>>
>;

/**
 * Runs the services NATRONI_SERVICES names in this one process (a small deployment may run
 * the gateway and metrics, or a node's agent and election, together), each with its own NATS connection
 * and its own HTTP listener. Every log line names them all (`"service":"api-gateway+metrics"`):
 * nestjs-pino writes through the first logger a process builds. SIGTERM or SIGINT closes every started
 * application, then ends the process, with exit code 0 when all closed cleanly. A failure to start is
 * logged and ends the process with exit code 1.
 */
export async function bootComposedServices(loaders: ServiceDefinitionLoaders): Promise<void> {
  let what = `the services of ${COMPOSED_SERVICES_ENV}`;
  try {
    const composed = composedServicesFromEnv(process.env);
    what = composed.map(({ service }) => service).join('+');
    const started = await Promise.all(
      composed.map(async ({ service, httpPort }) => ({
        definition: await loaders[service](),
        ...(await loadServiceSettings(service, {
          ...process.env,
          [SETTINGS_ENV.httpPort]: String(httpPort),
        })),
      })),
    );
    const fields = started
      .map(({ settings }) => serviceLogFields(settings))
      .reduce((all, each) => ({ ...all, ...each }));
    const logger = createNestLogger({ ...fields, service: what });
    const apps: NestFastifyApplication[] = [];
    closeOnSignals(apps, what);
    for (const { definition, settings, config } of started) {
      const app = await createServiceApp(definition, settings, config, logger);
      apps.push(app);
      await listenServiceApp(app, definition, settings);
    }
  } catch (error) {
    failedToStart(what, error);
  }
}

/** `apps` is read at the signal: the applications started by then are the ones to close. */
function closeOnSignals(apps: readonly NestFastifyApplication[], what: string): void {
  let closing = false;
  const close = (signal: NodeJS.Signals): void => {
    if (closing) return;
    closing = true;
    void Promise.allSettled(apps.map((app) => app.close())).then((results) => {
      const failures = results.flatMap((result) =>
        result.status === 'rejected' ? [result.reason as unknown] : [],
      );
      const log = createServiceLog({ service: what }, { sync: true });
      for (const failure of failures)
        log.error({ err: failure, signal }, 'a service did not close');
      process.exit(failures.length === 0 ? 0 : 1);
    });
  };
  process.on('SIGTERM', close);
  process.on('SIGINT', close);
}
