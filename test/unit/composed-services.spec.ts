import {
  composedServicesFromEnv,
  type Environment,
} from '../../libs/service-settings/src/index.ts';
import { settingsProblems } from '../support/settings-problems.ts';

const problemsOf = (env: Environment) => settingsProblems(() => composedServicesFromEnv(env));

describe('composedServicesFromEnv', () => {
  it('reads each service with its port, in order', () => {
    expect(composedServicesFromEnv({ NATRONI_SERVICES: 'api-gateway:8080, metrics:9600' })).toEqual(
      [
        { service: 'api-gateway', httpPort: 8080 },
        { service: 'metrics', httpPort: 9600 },
      ],
    );
  });

  it("gives a service without a port the service's default one", () => {
    expect(composedServicesFromEnv({ NATRONI_SERVICES: 'node-agent,election' })).toEqual([
      { service: 'node-agent', httpPort: 8010 },
      { service: 'election', httpPort: 8011 },
    ]);
  });

  it('accepts an empty NATRONI_HTTP_PORT, which counts as unset', () => {
    expect(composedServicesFromEnv({ NATRONI_SERVICES: 'metrics', NATRONI_HTTP_PORT: '' })).toEqual(
      [{ service: 'metrics', httpPort: 9547 }],
    );
  });

  it.each([undefined, '', ' , '])('asks for services when NATRONI_SERVICES is %j', (value) => {
    expect(problemsOf({ NATRONI_SERVICES: value })).toEqual([
      'NATRONI_SERVICES: name the services to run, such as api-gateway:8080,metrics:9547',
    ]);
  });

  it('names every bad item at once', () => {
    expect(
      problemsOf({ NATRONI_SERVICES: 'gateway:8080,metrics:99999,election:1:2,metrics:x' }),
    ).toEqual([
      'NATRONI_SERVICES: "gateway:8080" is not <service>[:<port>] with a service among api-gateway, metrics, node-agent, election, router-updater',
      'NATRONI_SERVICES: "99999" is not a TCP port (1-65535)',
      'NATRONI_SERVICES: "election:1:2" is not <service>[:<port>] with a service among api-gateway, metrics, node-agent, election, router-updater',
      'NATRONI_SERVICES: "x" is not a TCP port (1-65535)',
    ]);
  });

  it('refuses a service named twice and a port given twice', () => {
    expect(problemsOf({ NATRONI_SERVICES: 'metrics:9000,metrics:9001' })).toEqual([
      'NATRONI_SERVICES: metrics is named twice',
    ]);
    expect(problemsOf({ NATRONI_SERVICES: 'api-gateway:9000,metrics:9000' })).toEqual([
      'NATRONI_SERVICES: port 9000 is given to two services',
    ]);
  });

  it('refuses NATRONI_HTTP_PORT, which cannot say whose port it is', () => {
    expect(
      problemsOf({ NATRONI_SERVICES: 'api-gateway,metrics', NATRONI_HTTP_PORT: '8080' }),
    ).toEqual([
      'NATRONI_HTTP_PORT: a composed process gives each service its port in NATRONI_SERVICES instead',
    ]);
  });

  it('says which process the settings are for', () => {
    expect(() => composedServicesFromEnv({})).toThrow(
      /^invalid settings for composed services: NATRONI_SERVICES: /,
    );
  });
});
