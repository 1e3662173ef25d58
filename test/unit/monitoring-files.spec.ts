import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { PATRONI_METRICS } from '../../libs/domain/src/index.ts';
import {
  ALERT_RULE_TESTS_FILE,
  ALERT_RULES_FILE,
  alertRules,
  dashboard,
  metricNamesOf,
  monitoringExpressions,
  PROMETHEUS_CONFIG_FILE,
} from '../support/monitoring-files.ts';

/** Debian's prometheus package ships it (scripts/prepare-machine.sh). */
const PROMTOOL = process.env.NATRONI_PROMTOOL ?? '/usr/bin/promtool';

function promtool(...args: string[]): string {
  if (!existsSync(PROMTOOL))
    throw new Error(`no promtool at ${PROMTOOL}: run scripts/prepare-machine.sh`);
  return execFileSync(PROMTOOL, args, { encoding: 'utf8', timeout: 30_000 });
}

/** natroni's own metrics, as apps/metrics declares them (docs/metrics.md). */
const NATRONI_METRICS = [
  'natroni_member_status_age_seconds',
  'natroni_lease_term',
  'natroni_events_total',
  'natroni_lease_renewals_total',
  'natroni_lease_renewal_latency_seconds',
  'natroni_lease_changes_total',
  'natroni_switchovers_total',
  'natroni_switchover_duration_seconds',
  'natroni_failovers_total',
  'natroni_failover_duration_seconds',
];

describe('the Prometheus alert rules', () => {
  test('promtool accepts them', () => {
    expect(promtool('check', 'rules', ALERT_RULES_FILE)).toContain('SUCCESS: 6 rules found');
  });

  test("each alert fires on what should raise it, and none on a healthy cluster (promtool's rule tests)", () => {
    expect(promtool('test', 'rules', ALERT_RULE_TESTS_FILE)).toContain('SUCCESS');
  });

  test('cover no leader, two primaries, lag, a lost member, failing renewals and failsafe', () => {
    expect(alertRules().map((rule) => rule.alert)).toEqual([
      'NatroniNoLeader',
      'NatroniMoreThanOnePrimary',
      'NatroniReplicationLagHigh',
      'NatroniMemberLost',
      'NatroniLeaseRenewalFailing',
      'NatroniFailsafeActive',
    ]);
    for (const rule of alertRules())
      expect([rule.alert, rule.labels?.severity, rule.annotations?.summary]).toEqual([
        rule.alert,
        expect.stringMatching(/^(critical|warning)$/),
        expect.any(String),
      ]);
  });

  test("the compose file's Prometheus configuration loads them", () => {
    expect(promtool('check', 'config', PROMETHEUS_CONFIG_FILE)).toContain('SUCCESS: 6 rules found');
  });
});

describe('the Grafana dashboard', () => {
  const board = dashboard();

  test('every panel has a place, a unique id, and queries the chosen data source', () => {
    const ids = board.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(board.templating.list.map(({ name }) => name)).toEqual(['datasource', 'scope']);
    for (const panel of board.panels) {
      expect([panel.title, panel.gridPos.x + panel.gridPos.w <= 24]).toEqual([panel.title, true]);
      if (panel.type === 'row') continue;
      expect([panel.title, (panel.targets ?? []).length > 0]).toEqual([panel.title, true]);
      for (const target of panel.targets ?? []) {
        expect([panel.title, target.datasource?.uid]).toEqual([panel.title, '${datasource}']);
        expect([panel.title, target.expr]).toEqual([
          panel.title,
          expect.stringContaining('scope="$scope"'),
        ]);
      }
    }
  });

  test('shows the lease term, renewals and event rates beside Patroni’s metrics', () => {
    const names = new Set(monitoringExpressions().flatMap(({ expr }) => metricNamesOf(expr)));
    for (const name of [
      'natroni_lease_term',
      'natroni_lease_renewals_total',
      'natroni_events_total',
      'patroni_primary',
      'patroni_xlog_replayed_location',
    ])
      expect([name, names.has(name)]).toEqual([name, true]);
  });
});

test('the dashboard and the rules use only metric names that Patroni or natroni emit', () => {
  const histogramSuffix = /_(bucket|sum|count)$/;
  const known = new Set([...PATRONI_METRICS.map(({ name }) => name), ...NATRONI_METRICS]);
  for (const { where, expr } of monitoringExpressions()) {
    for (const name of metricNamesOf(expr)) {
      const family = known.has(name) ? name : name.replace(histogramSuffix, '');
      expect([where, name, known.has(family)]).toEqual([where, name, true]);
    }
  }
});
