/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser). Tests that need it
 * skip with a message where /usr/bin/chromium is absent, except under CI=true.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.SINET_CHROMIUM ?? '/usr/bin/chromium';

export function haveChromium(): boolean {
  if (existsSync(CHROMIUM)) return true;
  const message = `browser tests need Chromium at ${CHROMIUM}: apt-get install chromium (or set SINET_CHROMIUM)`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${message}`);
  console.warn(`skipping: ${message}`);
  return false;
}

/** Headless, sandbox off (root in containers), no background traffic to Google's hosts; Playwright makes a fresh profile. */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}
