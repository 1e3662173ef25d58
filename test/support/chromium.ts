import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (scripts/prepare-machine.sh installs it); NATRONI_CHROMIUM names another. */
export const CHROMIUM_PATH = process.env.NATRONI_CHROMIUM ?? '/usr/bin/chromium';

/** A headless Chromium driven by playwright-core, which downloads no browser of its own. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `no Chromium at ${CHROMIUM_PATH}: run scripts/prepare-machine.sh (apt-get install chromium)`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // Root cannot run Chromium's sandbox here; the pages are our own, on loopback.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
    timeout: 30_000,
  });
}
