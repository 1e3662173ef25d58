import { SERVICE_DEFAULTS, SERVICE_NAMES, type ServiceName } from './service-names.ts';
import { ServiceSettingsError } from './service-settings-error.ts';
import { httpPort, SETTINGS_ENV, type Environment } from './settings-from-env.ts';

/** The variable that names the services a composed process runs. */
export const COMPOSED_SERVICES_ENV = 'NATRONI_SERVICES';

/** One service of a composed process, with the port of its own HTTP listener. */
export interface ComposedService {
  readonly service: ServiceName;
  readonly httpPort: number;
}

function isServiceName(name: string): name is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(name);
}

/**
 * The services that one process runs together, from NATRONI_SERVICES: `api-gateway:8080,metrics:9547`.
 * A service given without a port listens on its default one. Each service keeps a listener of its own
 * (the gateway and metrics both answer GET /metrics), so NATRONI_HTTP_PORT, one port, must be unset.
 * Throws a `ServiceSettingsError` that lists every problem at once.
 */
export function composedServicesFromEnv(env: Environment): ComposedService[] {
  const variable = COMPOSED_SERVICES_ENV;
  const problems: string[] = [];
  const composed: ComposedService[] = [];
  const items = (env[variable] ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.length === 0) {
    problems.push(`${variable}: name the services to run, such as api-gateway:8080,metrics:9547`);
  }
  for (const item of items) {
    const [name = '', port, ...rest] = item.split(':').map((part) => part.trim());
    if (!isServiceName(name) || rest.length > 0) {
      problems.push(
        `${variable}: ${JSON.stringify(item)} is not <service>[:<port>] with a service among ${SERVICE_NAMES.join(', ')}`,
      );
      continue;
    }
    const portProblems: string[] = [];
    const listen = httpPort(port, SERVICE_DEFAULTS[name].httpPort, portProblems, variable);
    if (portProblems.length > 0) problems.push(...portProblems);
    else if (composed.some((each) => each.service === name)) {
      problems.push(`${variable}: ${name} is named twice`);
    } else if (composed.some((each) => each.httpPort === listen)) {
      problems.push(`${variable}: port ${listen} is given to two services`);
    } else composed.push({ service: name, httpPort: listen });
  }
  const single = env[SETTINGS_ENV.httpPort];
  if (single !== undefined && single !== '') {
    problems.push(
      `${SETTINGS_ENV.httpPort}: a composed process gives each service its port in ${variable} instead`,
    );
  }
  if (problems.length > 0) throw new ServiceSettingsError('composed services', problems);
  return composed;
}
