/**
 * The load generators of the HTTP benches: wrk, the one the Patroni figures were measured with, when
 * Debian's package is installed, and autocannon in this process otherwise.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import autocannon from 'autocannon';

/** Debian's wrk: the load generator the Patroni figures were measured with, when installed. */
const WRK = '/usr/bin/wrk';

export interface LoadGenerator {
  /** How the load is generated, for the bench's header. */
  readonly shape: string;
  /** Requests per second, latency percentiles and failures of `seconds` of load on `url`. */
  run(url: string, seconds: number): Promise<string>;
}

export function loadGenerator(connections: number, durationS: number): LoadGenerator {
  if (existsSync(WRK)) {
    return {
      shape: `wrk -t2 -c${connections} -d${durationS}s, Patroni's run shape`,
      run: (url, seconds) => runWrk(url, connections, seconds),
    };
  }
  return {
    shape: `autocannon -c ${connections} -d ${durationS} (install wrk for Patroni's run shape)`,
    run: (url, seconds) => runAutocannon(url, connections, seconds),
  };
}

async function runAutocannon(url: string, connections: number, seconds: number): Promise<string> {
  const result = await autocannon({ url, connections, duration: seconds });
  const rate = Math.round(result.requests.average).toLocaleString('en-US');
  return `${rate} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}, errors ${result.errors}`;
}

/** wrk's summary: requests per second and the 50th and 99th latency percentiles. */
async function runWrk(url: string, connections: number, seconds: number): Promise<string> {
  const output = await new Promise<string>((resolveOutput, reject) => {
    execFile(
      WRK,
      ['-t2', `-c${connections}`, `-d${seconds}s`, '--latency', url],
      { timeout: (seconds + 30) * 1000 },
      (error, stdout) => (error ? reject(error) : resolveOutput(stdout)),
    );
  });
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(output)?.[1];
  const p50 = /^\s+50%\s+(\S+)/m.exec(output)?.[1];
  const p99 = /^\s+99%\s+(\S+)/m.exec(output)?.[1];
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(output)?.[1] ?? '0';
  return `${Math.round(Number(rate)).toLocaleString('en-US')} req/s, p50 ${p50}, p99 ${p99}, non-2xx ${non2xx}`;
}
