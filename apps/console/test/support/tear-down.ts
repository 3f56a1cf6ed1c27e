import type { Browser } from 'playwright-core';
import type { TestConsole } from './start-console.ts';

/** What a browser suite started, any part possibly missing (its `before` may have failed midway). */
export interface Started { browser?: Browser | undefined; console?: TestConsole; mesh?: { stop(): Promise<void> } }

/** A browser suite's `after`: closes the browser, then stops the console, then the mesh. */
export async function tearDown(started: Started): Promise<void> {
  await started.browser?.close();
  await started.console?.stop();
  await started.mesh?.stop();
}
