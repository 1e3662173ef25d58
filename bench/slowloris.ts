/**
 * Health checks under a slowloris attack: 500 connections sending a byte of a request head per second
 * while a client checks /primary ten times a second on fresh connections. The attack runs in a process
 * of its own, so that its reconnections do not delay the checker's clock.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { connect as connectTcp, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { waitForExit, waitUntil } from '../libs/harness/src/index.ts';
import { summarize } from './percentiles.ts';

const SLOW_CONNECTIONS = 500;
const CHECKS_PER_S = 10;

/**
 * /primary checked ten times a second for `seconds` while the attack runs against the same port;
 * `attackCommand` starts a process that calls `slowlorisAttack(port)`.
 */
export async function checksUnderSlowloris(
  port: number,
  seconds: number,
  attackCommand: readonly string[],
): Promise<string> {
  const attacker = spawn(process.execPath, [...attackCommand, String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const reports: string[] = [];
  let closed = false;
  attacker.once('close', () => (closed = true));
  try {
    if (!attacker.stdout) throw new Error('the slowloris attack has no stdout');
    createInterface({ input: attacker.stdout }).on('line', (line) => reports.push(line));
    await waitUntil(() => (reports.includes('open') ? true : undefined), {
      timeoutMs: 10_000,
      intervalMs: 50,
      what: 'the slowloris attack to open its connections',
    });
    const latencies: number[] = [];
    let failed = 0;
    const checks: Array<Promise<void>> = [];
    const started = performance.now();
    while (performance.now() - started < seconds * 1000) {
      checks.push(
        timedCheck(port).then(
          (ms) => void latencies.push(ms),
          () => void (failed += 1),
        ),
      );
      await new Promise((resolveWait) => setTimeout(resolveWait, 1000 / CHECKS_PER_S));
    }
    await Promise.all(checks);
    const summary = summarize(latencies);
    const figures =
      `${latencies.length} answered, ${failed} failed, p50 ${summary.median.toFixed(2)} ms, ` +
      `p99 ${summary.p99.toFixed(2)} ms, max ${summary.max.toFixed(2)} ms`;
    await stopAttack(attacker);
    // Its last report comes with its output's end, which may follow its exit.
    await waitUntil(() => (closed ? true : undefined), {
      timeoutMs: 5_000,
      intervalMs: 50,
      what: "the slowloris attack's output to end",
    });
    const closes = reports.find((line) => line.startsWith('closes ')) ?? 'closes unknown';
    return `GET /primary under slowloris (${SLOW_CONNECTIONS} connections, 1 byte/s, ${seconds} s): ${figures}; slow connections ${closes}`;
  } finally {
    await stopAttack(attacker);
  }
}

async function stopAttack(attacker: ChildProcess): Promise<void> {
  if (attacker.exitCode !== null || attacker.signalCode !== null) return;
  const exited = waitForExit(attacker, 15_000);
  attacker.kill('SIGTERM');
  await exited;
}

/** The attack: slow connections kept at one byte a second, reopened when closed, until SIGTERM. */
export function slowlorisAttack(port: number): void {
  const head = `GET /primary HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(100_000)}`;
  const slow = new Map<Socket, number>();
  let running = true;
  let timedOut = 0;
  let otherCloses = 0;
  const open = (): void => {
    const socket = connectTcp(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (data: string) => (received += data));
    socket.on('error', () => undefined);
    socket.once('close', () => {
      slow.delete(socket);
      if (!running) return;
      if (received.startsWith('HTTP/1.1 408 ')) timedOut += 1;
      else otherCloses += 1;
      open();
    });
    slow.set(socket, 0);
  };
  for (let index = 0; index < SLOW_CONNECTIONS; index += 1) open();
  const trickle = setInterval(() => {
    for (const [socket, sent] of slow) {
      socket.write(head[sent % head.length]);
      slow.set(socket, sent + 1);
    }
  }, 1_000);
  console.log('open');
  process.once('SIGTERM', () => {
    running = false;
    clearInterval(trickle);
    for (const socket of slow.keys()) socket.destroy();
    console.log(`closes with 408 ${timedOut}, otherwise ${otherCloses}`);
  });
}

/** One health check on a fresh connection, as a load balancer makes it: its time to the whole answer. */
function timedCheck(port: number): Promise<number> {
  return new Promise((resolveCheck, reject) => {
    const started = performance.now();
    const req = request(
      { host: '127.0.0.1', port, path: '/primary', agent: false, timeout: 10_000 },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200
            ? resolveCheck(performance.now() - started)
            : reject(new Error(`status ${res.statusCode}`)),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end();
  });
}
