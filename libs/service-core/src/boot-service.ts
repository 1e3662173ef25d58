import cluster from 'node:cluster';
import { Logger, type DynamicModule, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { createNestLogger, createServiceLog, serviceLogFields } from '../../logging/src/index.ts';
import { loadMemberConfig, type MemberConfig } from '../../member-config/src/index.ts';
import {
  settingsFromEnv,
  type Environment,
  type ServiceName,
  type ServiceSettings,
} from '../../service-settings/src/index.ts';

/** The member's YAML configuration file, when a service is started with one. */
export const CONFIG_FILE_VARIABLE = 'NATRONI_CONFIG';

/** What it takes to start one service, alone in its process or composed with others. */
export interface ServiceDefinition {
  readonly service: ServiceName;
  readonly rootModule: (
    settings: ServiceSettings,
    config: MemberConfig | undefined,
  ) => DynamicModule;
  /** What the service adds to its application before it listens. */
  readonly configure?: (app: NestFastifyApplication) => Promise<void>;
}

/** A service's member configuration file (when NATRONI_CONFIG names one) and settings from the environment. */
export async function loadServiceSettings(
  service: ServiceName,
  env: Environment = process.env,
): Promise<{ settings: ServiceSettings; config: MemberConfig | undefined }> {
  const configFile = env[CONFIG_FILE_VARIABLE];
  const config = configFile ? await loadMemberConfig(configFile, env) : undefined;
  return { settings: settingsFromEnv(service, env, config), config };
}

/** Logs why the process could not start (`what`: its service or services) and ends it with exit code 1. */
export function failedToStart(what: string, error: unknown): never {
  createServiceLog({ service: what }).fatal({ err: error }, `${what} failed to start`);
  process.exit(1);
}

/** The service's root module as a Fastify application, not yet listening. */
export function createServiceApp(
  definition: ServiceDefinition,
  settings: ServiceSettings,
  config: MemberConfig | undefined,
  logger: LoggerService,
): Promise<NestFastifyApplication> {
  return NestFactory.create<NestFastifyApplication>(
    definition.rootModule(settings, config),
    new FastifyAdapter(),
    { logger, abortOnError: false },
  );
}

/** Configures a created application, listens on the service's port and logs `<service> ready`. */
export async function listenServiceApp(
  app: NestFastifyApplication,
  definition: ServiceDefinition,
  settings: ServiceSettings,
): Promise<void> {
  await definition.configure?.(app);
  const { host, port } = settings.http;
  await app.listen(port, host);
  // A cluster worker's listeners are its primary's; the primary says when the service is ready.
  const worker = cluster.worker?.id;
  new Logger('Boot').log(
    worker === undefined
      ? { msg: `${definition.service} ready`, host, port }
      : { msg: `${definition.service} worker ready`, worker, host, port },
  );
}

/**
 * Starts one service alone in its process: its settings (`loadServiceSettings`), its root module on
 * Fastify, shutdown on SIGTERM and SIGINT, its `configure`, then listening. A failure to start is logged
 * and ends the process with exit code 1.
 */
export async function bootService(definition: ServiceDefinition): Promise<NestFastifyApplication> {
  try {
    const { settings, config } = await loadServiceSettings(definition.service);
    const logger = createNestLogger(serviceLogFields(settings));
    const app = await createServiceApp(definition, settings, config, logger);
    // Only these two: Deno refuses to bind some of the signals Nest listens to by default (SIGILL).
    // useProcessExit makes a clean shutdown end with exit code 0 instead of re-raising the signal.
    app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
    await listenServiceApp(app, definition, settings);
    return app;
  } catch (error) {
    failedToStart(definition.service, error);
  }
}
