import { skipTest } from '@jobmesh/testing-tools';
import type { Browser, Page } from 'playwright-core';
import { noChromium } from './launch-browser.ts';

/**
 * Runs `body` on a new page of `browser` (1280×800 unless said; each wait up to 60 s) and closes
 * the page after it; without Chromium the test is skipped, saying why.
 */
export async function withPage(browser: Browser | undefined, body: (page: Page) => Promise<void>, viewport = { width: 1280, height: 800 }): Promise<void> {
  if (!browser) return skipTest(noChromium);
  const page = await browser.newPage({ viewport });
  page.setDefaultTimeout(60_000);
  try {
    await body(page);
  } finally {
    await page.close();
  }
}
