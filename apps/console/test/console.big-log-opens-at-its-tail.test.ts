import { join } from 'node:path';
import { JobState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { makeGitRepo, startTestMesh, waitForJobEnd, type TestMesh } from '@jobmesh/orchestrator/testing';
import { skipTest } from '@jobmesh/testing-tools';
import type { Browser } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { launchBrowser, loudHook, noChromium, screenshotDir, startConsole, tearDown, type TestConsole } from './support/index.ts';

// A job writes 100 MB of log. Its page must show the last line at once while the browser
// receives only a bounded part of the log (counted through the DevTools protocol), page back on
// scroll, and keep answering clicks.
const MB = 1_000_000;
const logBytes = 100 * MB;
const maxReceivedBytes = 4 * 1024 * 1024;

interface Ctx { mesh: TestMesh; console: TestConsole; browser: Browser | undefined; jobId: string }
const test = suite<Ctx>('console: a 100 MB log opens at its tail');

test.before(loudHook(async (ctx) => {
  const repo = await makeGitRepo({ 'README.md': 'big log\n' });
  ctx.mesh = await withDeadline(startTestMesh({ localSlots: 1 }), 180_000, 'mesh up');
  ctx.console = await startConsole(ctx.mesh.address.orchestrator);
  ctx.browser = await launchBrowser();
  if (!ctx.browser) return;
  const script = `yes 'jobmesh console big log line' | head -c ${logBytes}; echo; echo LAST-LINE-OF-THE-LOG`;
  const { job } = await ctx.mesh.api.jobs.submitJob({ repoUrl: repo.url, commitSha: repo.commit, runsOn: 'local', script, env: {}, secretEnv: {}, timeoutMs: 600_000, artifactPatterns: [], artifactWhen: 0, requestId: '' });
  ctx.jobId = job!.requestId;
  const ended = await waitForJobEnd(ctx.mesh.api.jobs.getJob, ctx.jobId, 400_000);
  assert.is(ended.state, JobState.JOB_STATE_SUCCEEDED, ended.error);
}));
test.after(tearDown);

test('the page shows the last line having received a few MB at most, pages back on scroll and answers clicks', async (ctx) => {
  if (!ctx.browser) return skipTest(noChromium);
  const page = await ctx.browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(30_000);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  let received = 0;
  cdp.on('Network.dataReceived', (event: { dataLength: number }) => (received += event.dataLength));
  try {
    const started = Date.now();
    await page.goto(`${ctx.console.url}/jobs/${ctx.jobId}`);
    const log = page.getByRole('log', { name: 'Job log output' });
    await log.getByText('LAST-LINE-OF-THE-LOG', { exact: true }).waitFor();
    const shownAfterMs = Date.now() - started;
    await page.getByText('complete', { exact: true }).waitFor();
    const atTail = received;
    assert.ok(atTail < maxReceivedBytes, `the tail was shown after receiving ${atTail} bytes of a ${logBytes}-byte log`);
    assert.ok(shownAfterMs < 15_000, `the last line showed after ${shownAfterMs} ms`);

    // Scrolling to the top loads the page before (more lines), still far from the whole log.
    const linesBefore = Number(await log.getAttribute('data-lines'));
    await log.evaluate((element) => (element.scrollTop = 0));
    await withDeadline((async () => {
      while (Number(await log.getAttribute('data-lines')) <= linesBefore) await page.waitForTimeout(100);
    })(), 20_000, 'an earlier page loaded');
    assert.ok(received < maxReceivedBytes, `after paging back the page has received ${received} bytes`);

    // The page still answers: a click navigates at once.
    const clicked = Date.now();
    await page.getByRole('link', { name: 'Operation timeline' }).click();
    await page.getByText('vm.exec', { exact: true }).waitFor({ timeout: 10_000 });
    assert.ok(Date.now() - clicked < 10_000, 'the click was answered');
    await page.goBack();
    await log.getByText('LAST-LINE-OF-THE-LOG', { exact: true }).waitFor();
    await page.screenshot({ path: join(await screenshotDir(), 'job-100mb-log.png') });
    process.stdout.write(`\n100 MB log: last line after ${shownAfterMs} ms, ${atTail} bytes received at the tail, ${received} in all\n`);
  } finally {
    await page.close();
  }
});

test.run();
