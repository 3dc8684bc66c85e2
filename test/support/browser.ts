/**
 * Real headless Chromium (Debian's /usr/bin/chromium) through playwright-core, for layout and
 * escaping checks. Never downloads a browser: without /usr/bin/chromium the tests say so and fail.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const chromiumPath = process.env.SCRUMOPS_CHROMIUM ?? '/usr/bin/chromium';

const args = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `Chromium not found at ${chromiumPath}: apt-get install -y chromium (or set SCRUMOPS_CHROMIUM)`,
    );
  }
  return chromium.launch({ executablePath: chromiumPath, args, headless: true });
}
