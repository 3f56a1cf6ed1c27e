export { startConsole, type TestConsole } from './start-console.ts';
export { chromiumPath, launchBrowser, noChromium } from './launch-browser.ts';
export { screenshotDir } from './screenshot-dir.ts';
export { loudHook } from './loud-hook.ts';
export { withPage } from './with-page.ts';
export { tearDown } from './tear-down.ts';
