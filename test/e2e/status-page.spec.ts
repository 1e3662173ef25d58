import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { waitUntil, type LocalCluster, type LocalMember } from '../../libs/harness/src/index.ts';
import { launchChromium } from '../support/chromium.ts';
import {
  disposeE2eCluster,
  E2E_TTL_SECONDS,
  startE2eCluster,
  waitForHealthyCluster,
} from '../support/e2e-cluster.ts';

/**
 * The gateway's status page in a real browser against a real cluster: what it shows, a switchover made
 * through it, a refusal in the API's own words, a gateway restart under an open page, and a killed
 * replica. Screenshots go to the directory printed at the start, for a person to look at.
 */
let cluster: LocalCluster | undefined;
let browser: Browser | undefined;
let context: BrowserContext | undefined;
let page: Page;
let screenshots: string;
let leader: string;
/** The member whose gateway serves the page. */
let served: LocalMember;

const PHONE = { width: 390, height: 844 };
/** What the page is allowed, once the cluster's keys show a change, to show it. */
const DISPLAY_BOUND_MS = 2_000;

/**
 * NATRONI_SCREENSHOTS, or the machine's temporary directory: not this run's, which the run removes at
 * its end (libs/harness/src/test-run-dir.ts).
 */
function screenshotParent(): string {
  if (process.env.NATRONI_SCREENSHOTS) return process.env.NATRONI_SCREENSHOTS;
  const runDir = process.env.NATRONI_TEST_RUN_DIR;
  return runDir ? dirname(runDir) : tmpdir();
}

function local(): LocalCluster {
  if (!cluster) throw new Error('the cluster did not start');
  return cluster;
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
}

async function shownLeader(): Promise<string | undefined> {
  return (
    (await page.locator('article[data-role="leader"]').getAttribute('data-member')) ?? undefined
  );
}

async function clusterLeader(member: LocalMember): Promise<string | undefined> {
  const response = await fetch(`http://127.0.0.1:${member.ports.restapi}/cluster`);
  const document = (await response.json()) as { members: { name: string; role: string }[] };
  return document.members.find((entry) => entry.role === 'leader')?.name;
}

beforeAll(async () => {
  screenshots = await mkdtemp(join(screenshotParent(), 'natroni-status-page-screenshots-'));
  console.log(`status page screenshots: ${screenshots}`);
  cluster = await startE2eCluster('e2e-status-page');
  leader = await waitForHealthyCluster(cluster, 60_000);
  served = cluster.members[0];
  browser = await launchChromium();
  context = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 2 });
  page = await context.newPage();
}, 120_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await disposeE2eCluster(cluster);
});

test('shows the three members and the leader, in words', async () => {
  await page.goto(`http://127.0.0.1:${served.ports.gateway}/ui/`);
  await page.locator('article[data-member]').nth(2).waitFor({ timeout: 10_000 });
  expect(await page.locator('article[data-member]').count()).toBe(3);
  expect(await shownLeader()).toBe(leader);
  await expect(
    page.locator(`article[data-member="${leader}"] .role`).textContent(),
  ).resolves.toContain('Leader (primary)');
  expect(await page.locator('[data-connection="live"]').count()).toBe(1);
  await shot('1-three-members');
});

test('a switchover through the page: a refusal in the API’s words, then the new leader and its history entry without a reload', async () => {
  const candidate = local().members.find((member) => member.name !== leader)!.name;
  const ask = async (password: string) => {
    await page.getByRole('button', { name: 'Switchover…' }).click();
    await page.locator('select[name="candidate"]').selectOption(candidate);
    await page.locator('input[name="username"]').fill('admin');
    await page.locator('input[name="password"]').fill(password);
    await shot(password === 'admin' ? '3-switchover-dialog' : '2-wrong-password-dialog');
    await page.getByRole('button', { name: 'Confirm' }).click();
  };

  await ask('not-the-password');
  await page.locator('[data-outcome="refused"]').waitFor({ timeout: 10_000 });
  const refusal = await page.locator('[data-field="api-message"]').textContent();
  expect(refusal).toMatch(/auth/i);
  await shot('2-refused');
  expect(await shownLeader()).toBe(leader);

  await ask('admin');
  await page.locator('[data-outcome="ok"]').waitFor({ timeout: 60_000 });
  expect(await page.locator('[data-field="api-message"]').textContent()).toBe(
    `Successfully switched over to "${candidate}"`,
  );
  // The API answers once the leader key names the candidate, running as primary.
  await waitUntil(async () => ((await shownLeader()) === candidate ? true : undefined), {
    timeoutMs: DISPLAY_BOUND_MS,
    intervalMs: 50,
    what: `the page to show ${candidate} as leader within ${DISPLAY_BOUND_MS} ms of the API's answer`,
  });
  const entry = page.locator(`tr[data-timeline] [data-field="new-leader"]`, { hasText: candidate });
  await waitUntil(
    async () => {
      const response = await fetch(`http://127.0.0.1:${served.ports.restapi}/history`);
      const history = (await response.json()) as unknown[][];
      return history.some((row) => row[4] === candidate) || undefined;
    },
    { timeoutMs: 30_000, intervalMs: 50, what: `/history to name ${candidate}` },
  );
  await entry.first().waitFor({ timeout: DISPLAY_BOUND_MS });
  await page.locator('li[data-kind="switchover_completed"]').first().waitFor({ timeout: 10_000 });
  await shot('4-after-switchover');
  leader = candidate;
  expect(await clusterLeader(served)).toBe(candidate);
}, 150_000);

test("reload reaches the member's own REST API, pause and resume the cluster's; an unknown member is refused in words", async () => {
  const replica = local().members.find((member) => member.name !== leader)!.name;
  await page
    .locator(`article[data-member="${replica}"]`)
    .getByRole('button', { name: 'Reload' })
    .click();
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.locator('[data-outcome="ok"]', { hasText: 'Reload' }).waitFor({ timeout: 15_000 });
  expect(await page.locator('[data-field="api-message"]').textContent()).toBe('reload scheduled');

  await page.getByRole('button', { name: 'Pause' }).click();
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.locator('[data-field="paused-badge"]').waitFor({ timeout: 10_000 });
  await shot('5-paused');
  await page.getByRole('button', { name: 'Resume' }).click();
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.locator('[data-field="paused-badge"]').waitFor({ state: 'detached', timeout: 10_000 });

  const answer = await fetch(`http://127.0.0.1:${served.ports.gateway}/ui/members/pg9/restart`, {
    method: 'POST',
    body: '{}',
  });
  expect([answer.status, await answer.text()]).toEqual([
    404,
    'no member named pg9 has published a status',
  ]);
});

test('a page left open across a restart of its gateway reconnects by itself', async () => {
  served.gateway.kill();
  await page.locator('[data-connection="lost"]').waitFor({ timeout: 15_000 });
  await shot('6-gateway-down');
  await local().restart(served, 'gateway');
  await page.locator('[data-connection="live"]').waitFor({ timeout: 15_000 });
  await page.locator('article[data-member]').nth(2).waitFor({ timeout: 5_000 });
  expect(await shownLeader()).toBe(leader);
});

test('a killed replica leaves the page', async () => {
  const killed = local().members.find((member) => member.name !== leader && member !== served)!;
  const postmaster = await local().postmasterPid(killed);
  if (postmaster === undefined) throw new Error(`${killed.name}'s PostgreSQL is not running`);
  killed.agent.kill();
  killed.election.kill();
  process.kill(postmaster, 'SIGKILL');
  await page
    .locator(`article[data-member="${killed.name}"]`)
    .waitFor({ state: 'detached', timeout: (E2E_TTL_SECONDS + 5) * 1000 });
  expect(await page.locator('article[data-member]').count()).toBe(2);
  await page
    .locator('li[data-kind="member_lost"]', { hasText: killed.name })
    .first()
    .waitFor({ timeout: 10_000 });
  await shot('7-replica-gone');
});
