/**
 * The status page (/ui/) in Debian's Chromium against a 3-member local cluster:
 *  - first render: from navigation to the first frame that shows the members (the page's own
 *    performance.now() when it first rendered the gateway's document), over fresh browser contexts;
 *  - switchover display delay: from the moment the `leader` key names the new leader (this process's own
 *    KV watch, wall clock) to the moment the open page shows it (the page's wall clock), per switchover;
 *  - the gateway's extra resident memory with 10 pages open (a browser context each), against the same
 *    gateway before any page was opened.
 *
 *   npm run bench:ui      (RUNS=10 by default: first renders and switchovers)
 */
import { connect } from '@nats-io/transport-node';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { benchClusterOptions } from './bench-cluster.ts';
import { summarize, type Summary } from './percentiles.ts';
import { ClusterStore, ClusterWatch } from '../libs/dcs/src/index.ts';
import { freeClusterPorts, LocalCluster, waitUntil } from '../libs/harness/src/index.ts';
import { launchChromium } from '../test/support/chromium.ts';

const RUNS = Number(process.env.RUNS ?? 10);
const OPEN_PAGES = 10;
const SCOPE = 'bench-ui';

async function rssMb(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024;
}

function line(what: string, summary: Summary, unit = 'ms'): string {
  const value = (figure: number) => `${figure.toFixed(0)} ${unit}`;
  return `${what.padEnd(34)} n=${summary.count}  median ${value(summary.median)}  max ${value(summary.max)}`;
}

async function bodyNumber(page: Page, key: string): Promise<number | undefined> {
  const value = await page.evaluate((name) => document.body.dataset[name], key);
  return value === undefined ? undefined : Number(value);
}

async function main(): Promise<void> {
  const baseDir = await mkdtemp(join(tmpdir(), 'natroni-bench-ui-'));
  await chmod(baseDir, 0o755);
  const options = benchClusterOptions(baseDir, SCOPE, await freeClusterPorts(3));
  // Switchovers one after another: a short loop keeps the bench short; the page's delay does not depend on it.
  const cluster = await LocalCluster.start({
    ...options,
    dcs: { ttl: 10, loop_wait: 1, retry_timeout: 4 },
  });
  const connection = await connect({ servers: cluster.nats.url });
  const browser = await launchChromium();
  try {
    const store = await ClusterStore.open(connection, { namespace: 'natroni', scope: SCOPE });
    const watch = await ClusterWatch.start(store);
    const leaderSeenAt = new Map<string, number>();
    let lastLeader = '';
    watch.subscribe((view) => {
      const leader = view.leader?.value.member ?? '';
      if (leader !== lastLeader) {
        lastLeader = leader;
        leaderSeenAt.set(leader, Date.now());
      }
    });
    const served = cluster.members[1];
    const url = `http://127.0.0.1:${served.ports.gateway}/ui/`;
    await waitUntil(() => watch.view.leader?.value.member, {
      timeoutMs: 60_000,
      what: 'a leader',
    });

    const gatewayPid = served.gateway.pid;
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const neverOpenedMb = await rssMb(gatewayPid);

    const renders: number[] = [];
    for (let run = 0; run < RUNS; run += 1) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(url);
      await page.locator('article[data-member]').nth(2).waitFor({ timeout: 10_000 });
      renders.push((await bodyNumber(page, 'firstRender')) ?? Number.NaN);
      await context.close();
    }

    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url);
    await page.locator('article[data-member]').nth(2).waitFor({ timeout: 10_000 });
    const delays: number[] = [];
    for (let run = 0; run < RUNS; run += 1) {
      const leader = watch.view.leader?.value.member ?? '';
      const candidate = cluster.members.find((member) => member.name !== leader)!.name;
      // Every member streaming from the leader, as a switchover needs.
      await waitUntil(
        async () => {
          const response = await fetch(`http://127.0.0.1:${served.ports.restapi}/cluster`);
          const members = ((await response.json()) as { members: { state: string }[] }).members;
          return members.length === 3 &&
            members.every((m) => ['running', 'streaming'].includes(m.state))
            ? true
            : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 200, what: 'every member running or streaming' },
      );
      const response = await fetch(`http://127.0.0.1:${served.ports.restapi}/switchover`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` },
        body: JSON.stringify({ leader, candidate }),
      });
      if (response.status !== 200)
        throw new Error(
          `switchover ${leader} → ${candidate}: ${response.status} ${await response.text()}`,
        );
      await page
        .locator(`article[data-role="leader"][data-member="${candidate}"]`)
        .waitFor({ timeout: 10_000 });
      const shownAt = (await bodyNumber(page, 'leaderShownAt')) ?? Number.NaN;
      delays.push(shownAt - (leaderSeenAt.get(candidate) ?? Number.NaN));
    }
    await context.close();

    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const idleMb = await rssMb(gatewayPid);
    // A context each, as ten people's browsers: one browser holds at most 6 connections to a host.
    const contexts = await Promise.all(
      Array.from({ length: OPEN_PAGES }, () => browser.newContext()),
    );
    for (const pageContext of contexts) {
      const opened = await pageContext.newPage();
      await opened.goto(url);
      await opened.locator('article[data-member]').nth(2).waitFor({ timeout: 10_000 });
    }
    const open: number[] = [];
    for (let second = 0; second < 10; second += 1) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      open.push(await rssMb(gatewayPid));
    }
    await Promise.all(contexts.map((pageContext) => pageContext.close()));
    watch.stop();

    console.log(`status page of ${served.name}'s gateway (${url}), ${RUNS} runs`);
    console.log(line('first render (navigation → members)', summarize(renders)));
    console.log(line('switchover: leader key → page shows it', summarize(delays)));
    const openMb = summarize(open).median;
    console.log(
      `gateway RSS: before any page ${neverOpenedMb.toFixed(1)} MB, idle after the runs ${idleMb.toFixed(1)} MB, ` +
        `${OPEN_PAGES} pages open ${openMb.toFixed(1)} MB (median of 10 s): ` +
        `extra ${(openMb - neverOpenedMb).toFixed(1)} MB over the gateway before any page`,
    );
  } finally {
    await browser.close();
    await connection.close();
    await cluster.stop();
    await rm(baseDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
