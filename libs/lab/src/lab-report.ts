import { FAULT_KIND_INFO } from './fault-schedule.ts';
import type { FaultKindRow, LabVerdict } from './lab-checker.ts';
import type { LabRecords } from './lab-records.ts';

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}

function medianAndMax(values: readonly number[]): string {
  if (values.length === 0) return 'n/a';
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return `${seconds(median)} / ${seconds(sorted[sorted.length - 1])}`;
}

/** The per-kind table, as Markdown: the same text goes to the terminal and to the results file. */
export function resultsTable(rows: readonly FaultKindRow[]): string {
  const header = [
    '| fault kind | count | first acknowledged write, s (median / max) | healthy after heal, s (median / max) | writes lost | split-brain episodes | anomalies |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  const total = rows.reduce(
    (sum, row) => ({
      count: sum.count + row.count,
      lost: sum.lost + row.writesLost,
      split: sum.split + row.splitBrains,
      anomalies: sum.anomalies + row.anomalies,
    }),
    { count: 0, lost: 0, split: 0, anomalies: 0 },
  );
  return [
    ...header,
    ...rows.map(
      (row) =>
        `| ${row.kind} | ${row.count} | ${medianAndMax(row.firstWriteMs)} | ${medianAndMax(row.healthyMs)} | ${row.writesLost} | ${row.splitBrains} | ${row.anomalies} |`,
    ),
    `| **all** | ${total.count} | | | ${total.lost} | ${total.split} | ${total.anomalies} |`,
  ].join('\n');
}

const WINDOW_MARGIN_MS = 3_000;

/** The whole results file: settings, table, every fault, and each anomaly with its timeline. */
export function resultsDocument(records: LabRecords, verdict: LabVerdict, command: string): string {
  const origin = records.startedAt;
  const at = (time: number) => `t+${((time - origin) / 1000).toFixed(3)}`;
  const lines = [
    `# natroni lab run, seed ${records.seed}`,
    '',
    `Command: \`${command}\``,
    '',
    `- started ${new Date(records.startedAt).toISOString()}, took ${seconds(records.finishedAt - records.startedAt)} s`,
    `- replication: ${records.mode === 'sync' ? 'synchronous_mode on' : 'asynchronous'}; ttl ${records.ttlSeconds} s, loop_wait ${records.loopWaitSeconds} s, retry_timeout ${records.retryTimeoutSeconds} s, maximum_lag_on_failover ${records.maximumLagOnFailover} bytes`,
    `- ${records.faults.length} faults, ${verdict.acknowledgedWrites} writes acknowledged to the writer, ${records.probeAcks.length} probe writes acknowledged`,
    `- availability bound: ${seconds(verdict.availabilityBoundMs)} s without an acknowledged write`,
    ...(records.abortedBecause ? [`- **the run ended early**: ${records.abortedBecause}`] : []),
    '',
    resultsTable(verdict.rows),
    '',
    `## Verdict: ${verdict.anomalies.length === 0 ? 'no anomaly' : `${verdict.anomalies.length} anomal${verdict.anomalies.length === 1 ? 'y' : 'ies'}`}`,
    '',
  ];
  if (records.final.length > 0) {
    lines.push('Final state of the members:', '');
    for (const state of records.final) {
      lines.push(
        `- ${state.member}: ${state.role}` +
          (state.rows === undefined
            ? ''
            : `, ${state.rows} rows, max id ${state.maxId}, timeline ${state.timeline}`) +
          (state.role === 'replica' ? (state.streaming ? ', streaming' : ', NOT streaming') : ''),
      );
    }
    lines.push('');
  }
  for (const [number, anomaly] of verdict.anomalies.entries()) {
    lines.push(`### Anomaly ${number + 1}: ${anomaly.kind}`, '', anomaly.summary, '', '```');
    const fault = anomaly.fault === undefined ? undefined : records.faults[anomaly.fault];
    const from = Math.min(anomaly.from, fault?.startedAt ?? anomaly.from) - WINDOW_MARGIN_MS;
    const to =
      Math.max(anomaly.to, fault?.healthyAt ?? fault?.healedAt ?? anomaly.to) + WINDOW_MARGIN_MS;
    for (const event of records.events.filter(
      (candidate) => candidate.at >= from && candidate.at <= to,
    )) {
      lines.push(`${at(event.at)}  ${event.text}`);
    }
    lines.push('```', '');
  }
  lines.push(
    '## Faults',
    '',
    '| # | kind | target | primary before → after | first write, s | healthy after heal, s | lost | note |',
    '|---:|---|---|---|---:|---:|---:|---|',
  );
  for (const fault of records.faults) {
    const first = records.writerAcks.find((ack) => ack.sentAt >= fault.injectedAt);
    lines.push(
      `| ${fault.index + 1} | ${fault.kind} | ${fault.target} | ${fault.primaryBefore} → ${fault.primaryAfter ?? '?'} | ${first ? seconds(first.ackAt - fault.injectedAt) : 'n/a'} | ${fault.healthyAt === undefined ? 'never' : seconds(fault.healthyAt - fault.healedAt)} | ${fault.lostIds.length} | ${fault.note ?? ''} |`,
    );
  }
  lines.push('', '## Fault kinds', '');
  for (const row of verdict.rows)
    lines.push(`- **${row.kind}**: ${FAULT_KIND_INFO[row.kind].description}`);
  return `${lines.join('\n')}\n`;
}
