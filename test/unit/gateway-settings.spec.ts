import {
  gatewaySettingsFromEnv,
  type GatewayHost,
} from '../../apps/api-gateway/src/gateway-settings.ts';
import { settingsProblems } from '../support/settings-problems.ts';

const NODE_2_CORES: GatewayHost = { cores: 2, cluster: true };
const DENO_2_CORES: GatewayHost = { cores: 2, cluster: false };

const problemsOf = (env: Record<string, string>, host = NODE_2_CORES) =>
  settingsProblems(() => gatewaySettingsFromEnv(env, host));

describe('gatewaySettingsFromEnv: NATRONI_GATEWAY_WORKERS', () => {
  it.each([
    [1, 1],
    [2, 1],
    [3, 2],
    [5, 4],
    [16, 4],
  ])(
    'defaults to one worker per core but one, at least 1, at most 4 (%i cores: %i)',
    (cores, workers) => {
      expect(gatewaySettingsFromEnv({}, { cores, cluster: true }).workers).toBe(workers);
    },
  );

  it.each(['1', ' 3 ', '64'])('takes %j', (text) => {
    expect(gatewaySettingsFromEnv({ NATRONI_GATEWAY_WORKERS: text }, NODE_2_CORES).workers).toBe(
      Number(text),
    );
  });

  it.each(['0', '65', '-1', '1.5', 'two', '2e1'])('refuses %j, naming the variable', (text) => {
    expect(problemsOf({ NATRONI_GATEWAY_WORKERS: text })).toEqual([
      `NATRONI_GATEWAY_WORKERS: ${JSON.stringify(text)} is not a whole number from 1 to 64`,
    ]);
  });

  it('is one process under Deno, whose node:cluster cannot stop its workers cleanly', () => {
    expect(gatewaySettingsFromEnv({}, DENO_2_CORES).workers).toBe(1);
    expect(gatewaySettingsFromEnv({ NATRONI_GATEWAY_WORKERS: '1' }, DENO_2_CORES).workers).toBe(1);
    expect(problemsOf({ NATRONI_GATEWAY_WORKERS: '2' }, DENO_2_CORES)).toEqual([
      'NATRONI_GATEWAY_WORKERS: 2 workers need node:cluster, which does not work under Deno: set 1',
    ]);
  });

  it('lists a bad worker count with the other problems', () => {
    expect(
      problemsOf({ NATRONI_GATEWAY_WORKERS: 'x', NATRONI_GATEWAY_BODY_LIMIT: '-1' }),
    ).toHaveLength(2);
  });
});

describe('gatewaySettingsFromEnv: the member listeners', () => {
  it('defaults to the fast path and bounds of Node', () => {
    expect(gatewaySettingsFromEnv({}, NODE_2_CORES).listener).toEqual({
      fastPath: true,
      headTimeoutMs: 10_000,
      idleTimeoutMs: 5_000,
      maxConnections: 10_000,
    });
  });

  it('takes the fast path off, timeouts in seconds and a connection limit', () => {
    expect(
      gatewaySettingsFromEnv(
        {
          NATRONI_GATEWAY_HEALTH_CHECK_FAST_PATH: 'off',
          NATRONI_GATEWAY_HEAD_TIMEOUT: '2.5',
          NATRONI_GATEWAY_IDLE_TIMEOUT: '30',
          NATRONI_GATEWAY_MAX_CONNECTIONS: '500',
        },
        NODE_2_CORES,
      ).listener,
    ).toEqual({
      fastPath: false,
      headTimeoutMs: 2_500,
      idleTimeoutMs: 30_000,
      maxConnections: 500,
    });
  });

  it('refuses values it cannot read, naming each variable', () => {
    expect(
      problemsOf({
        NATRONI_GATEWAY_HEALTH_CHECK_FAST_PATH: 'maybe',
        NATRONI_GATEWAY_HEAD_TIMEOUT: '0',
        NATRONI_GATEWAY_IDLE_TIMEOUT: 'x',
        NATRONI_GATEWAY_MAX_CONNECTIONS: '0',
      }),
    ).toEqual([
      'NATRONI_GATEWAY_HEALTH_CHECK_FAST_PATH: "maybe" is not on or off',
      'NATRONI_GATEWAY_HEAD_TIMEOUT: "0" is not a number of seconds from 0.1 to 3600',
      'NATRONI_GATEWAY_IDLE_TIMEOUT: "x" is not a number of seconds from 0.1 to 3600',
      'NATRONI_GATEWAY_MAX_CONNECTIONS: "0" is not a whole number from 1 to 1000000',
    ]);
  });
});
