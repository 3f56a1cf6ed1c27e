import { access } from 'node:fs/promises';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); Playwright never downloads a browser here. */
export const chromiumPath = '/usr/bin/chromium';

/**
 * Launches Debian's headless Chromium through playwright-core. @returns undefined when it is not
 * installed, so the test can skip saying why (never pass without a browser).
 */
export async function launchBrowser(): Promise<Browser | undefined> {
  if (!(await access(chromiumPath).then(() => true, () => false))) return undefined;
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** Why a browser test skips when Chromium is missing. */
export const noChromium = `no ${chromiumPath}: apt-get install chromium (.ci/run installs it)`;
