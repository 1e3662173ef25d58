import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

const repo = resolve(__dirname, '../..');

export const ALERT_RULES_FILE = join(repo, 'deploy/prometheus/alerts.yml');
export const ALERT_RULE_TESTS_FILE = join(repo, 'deploy/prometheus/alerts.test.yml');
export const PROMETHEUS_CONFIG_FILE = join(repo, 'deploy/prometheus/prometheus.yml');
export const DASHBOARD_FILE = join(repo, 'deploy/grafana/natroni.json');

export interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: { expr: string; refId: string; datasource?: { type: string; uid: string } }[];
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: DashboardPanel[];
  templating: { list: { name: string; type: string }[] };
}

export function dashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as Dashboard;
}

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function alertRules(): AlertRule[] {
  const document = parse(readFileSync(ALERT_RULES_FILE, 'utf8')) as {
    groups: { name: string; rules: AlertRule[] }[];
  };
  return document.groups.flatMap((group) => group.rules);
}

/** Every PromQL expression of the dashboard's panels and of the alert rules. */
export function monitoringExpressions(): { where: string; expr: string }[] {
  const panels = dashboard().panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ where: `panel "${panel.title}"`, expr: target.expr })),
  );
  const rules = alertRules().map((rule) => ({ where: `alert ${rule.alert}`, expr: rule.expr }));
  return [...panels, ...rules];
}

/** The metric names an expression reads: Patroni's and natroni's, which all start so. */
export function metricNamesOf(expr: string): string[] {
  return [...new Set(expr.match(/\b(?:patroni|natroni)_[a-z0-9_]+\b/g) ?? [])];
}
