import { waitUntil, type LocalCluster } from '../../libs/harness/src/index.ts';
import {
  disposeE2eCluster,
  startE2eCluster,
  waitForHealthyCluster,
} from '../support/e2e-cluster.ts';
import { metricNamesOf, monitoringExpressions } from '../support/monitoring-files.ts';
import { parsePrometheusText } from '../support/prometheus-text.ts';

let cluster: LocalCluster | undefined;

afterAll(async () => {
  await disposeE2eCluster(cluster);
});

async function scrapedNames(port: number): Promise<Set<string>> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`, {
    signal: AbortSignal.timeout(5_000),
  });
  return new Set(parsePrometheusText(await response.text()).map((sample) => sample.name));
}

test("every metric the Grafana dashboard and the alert rules read is in a live cluster's /metrics", async () => {
  cluster = await startE2eCluster('e2e-monitoring');
  await waitForHealthyCluster(cluster, 60_000);
  const used = monitoringExpressions().flatMap(({ where, expr }) =>
    metricNamesOf(expr).map((name) => ({ where, name })),
  );
  expect(used.length).toBeGreaterThan(20);
  const port = cluster.options.ports.metrics;
  // Renewals and their latencies are counted from the events, which follow the bootstrap shortly.
  const scraped = await waitUntil(
    async () => {
      const names = await scrapedNames(port);
      return used.every(({ name }) => names.has(name)) ? names : undefined;
    },
    { timeoutMs: 15_000, intervalMs: 500, what: 'every metric name to appear in /metrics' },
  ).catch(() => scrapedNames(port));
  const missing = used.filter(({ name }) => !scraped.has(name));
  expect(missing).toEqual([]);
});
