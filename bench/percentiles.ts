/** Summary figures of a sample, for benchmark reports a person can compare across runs. */
export interface Summary {
  count: number;
  median: number;
  p99: number;
  max: number;
}

function percentile(sorted: number[], fraction: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1);
  return sorted[Math.max(0, index)];
}

export function summarize(samples: number[]): Summary {
  if (samples.length === 0) throw new Error('no samples to summarize');
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    count: sorted.length,
    median: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted[sorted.length - 1],
  };
}

export function formatMs(summary: Summary): string {
  const ms = (value: number) => `${value.toFixed(2)} ms`;
  return `n=${summary.count}  median ${ms(summary.median)}  p99 ${ms(summary.p99)}  max ${ms(summary.max)}`;
}
