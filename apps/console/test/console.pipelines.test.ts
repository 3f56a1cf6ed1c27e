import { join } from 'node:path';
import { PipelineJobState, PipelineState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { makeGitRepo, startTestMesh, waitForPipeline, type TestMesh } from '@jobmesh/orchestrator/testing';
import type { Browser, Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { launchBrowser, loudHook, screenshotDir, startConsole, tearDown, withPage, type TestConsole } from './support/index.ts';

// The Pipelines pages against a real mesh on the process backend, driven by Debian's Chromium:
// the list and a pipeline's graph follow the API live, Approve, Retry failed and Cancel work
// from the page, and a node opens its job from the keyboard. (Roles: console.token-roles.test.ts.)
const chain = `jobs:
  build:
    runs_on: local
    steps:
      - name: compile
        run: echo compiling; sleep 4
  deploy:
    runs_on: local
    needs: [build]
    steps:
      - block: Ship it?
      - name: ship
        run: echo shipped
`;
// build b fails on its first run only (a marker file remembers it), so Retry failed gets further.
const flaky = (marker: string) => `jobs:
  lint:
    runs_on: local
    steps:
      - run: echo lint ok
  build:
    runs_on: local
    matrix:
      os: [a, b]
    steps:
      - name: compile
        run: |
          echo "building $JOBMESH_MATRIX_OS"
          if [ "$JOBMESH_MATRIX_OS" = b ] && [ ! -e ${marker} ]; then touch ${marker}; echo "b breaks once" >&2; exit 3; fi
  test:
    runs_on: local
    needs: [lint, build]
    steps:
      - run: echo tested
  deploy:
    runs_on: local
    needs: [test]
    steps:
      - block: Ship it?
      - run: echo shipped
`;

interface Ctx { mesh: TestMesh; console: TestConsole; browser: Browser | undefined; repo: { url: string; commit: string }; shots: string; chainId: string }
const test = suite<Ctx>('console: pipelines list, live graph, approve, retry, cancel, keyboard');

test.before(loudHook(async (ctx) => {
  ctx.mesh = await withDeadline(startTestMesh({ localSlots: 3 }), 180_000, 'mesh up');
  ctx.repo = await makeGitRepo({ '.jobmesh.yml': chain, 'flaky.yml': flaky(join(ctx.mesh.dataDir, 'flaky-b-ran')) });
  ctx.console = await startConsole(ctx.mesh.address.orchestrator);
  ctx.browser = await launchBrowser();
  ctx.shots = await screenshotDir();
}));
test.after(tearDown);

const node = (page: Page, key: string, state?: string) => page.locator(`g.node[data-key="${key}"]${state ? `[data-state="${state}"]` : ''}`);

test('a pipeline appears in the list live; its graph turns states without a reload; Approve unblocks it and it ends succeeded', (ctx) => withPage(ctx.browser, async (page) => {
  await page.goto(`${ctx.console.url}/pipelines`);
  await page.getByRole('table', { name: 'Pipelines' }).waitFor();
  await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 42));
  const { pipeline } = await ctx.mesh.api.pipelines.submitPipeline({ repoUrl: ctx.repo.url, commitSha: ctx.repo.commit, manifestPath: '', env: {}, secretEnv: {}, requestId: '' });
  ctx.chainId = pipeline!.id;
  const row = page.locator(`tr[data-pipeline-id="${ctx.chainId}"][data-state="running"]`);
  await row.waitFor();
  await row.focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(`**/pipelines/${ctx.chainId}`);
  await node(page, 'build').waitFor();
  await node(page, 'deploy', 'pending').waitFor();
  await page.locator('path.edge[data-edge="build>deploy"]').waitFor({ state: 'attached' });
  await node(page, 'build', 'running').waitFor();
  assert.match((await node(page, 'build').getAttribute('aria-label'))!, /^build: running, 1 run/);
  await node(page, 'build', 'succeeded').waitFor();
  await node(page, 'deploy', 'blocked').waitFor();
  assert.match((await node(page, 'deploy').textContent())!, /blocked/, 'the state is written, not only coloured');
  assert.is(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker), 42, 'the page was not reloaded');

  const waiting = page.getByRole('region', { name: 'Waiting for approval' });
  await waiting.getByText('Ship it?', { exact: true }).waitFor();
  await waiting.getByRole('button', { name: /Approve/ }).click();
  await node(page, 'deploy', 'succeeded').waitFor();
  await page.locator('.facts .state-succeeded').waitFor();
  const done = await waitForPipeline(ctx.mesh.api.pipelines.getPipeline, ctx.chainId, undefined, 60_000);
  assert.is(done.state, PipelineState.PIPELINE_STATE_SUCCEEDED, done.error);
  assert.ok(done.jobs.find((j) => j.key === 'deploy')!.steps[0]!.approvedBy, 'the approval is recorded');
  assert.is(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker), 42, 'still no reload');
}));

test('a pipeline run from the form fails; a skipped job shows why; Retry failed starts attempt 2; Cancel ends it', (ctx) => withPage(ctx.browser, async (page) => {
  await page.goto(`${ctx.console.url}/pipelines`);
  await page.getByText('Run a pipeline').click();
  const form = page.getByRole('form', { name: 'Run a pipeline' });
  await form.getByLabel('Repository URL').fill(ctx.repo.url);
  await form.getByLabel('Commit').fill(ctx.repo.commit);
  await form.getByLabel('Manifest').fill('flaky.yml');
  await form.getByRole('button', { name: 'Run pipeline' }).click();
  await page.waitForURL((url) => /\/pipelines\/[0-9a-f-]{36}$/.test(url.pathname));
  const id = page.url().split('/').pop()!;
  await page.locator('.facts .state-failed').waitFor();
  await node(page, 'build-b', 'failed').waitFor();
  await node(page, 'build-a', 'succeeded').waitFor();
  await node(page, 'test', 'skipped').waitFor();
  await node(page, 'deploy', 'skipped').waitFor();
  await node(page, 'test').click();
  const panel = page.getByRole('region', { name: 'Job test' });
  await panel.getByText(/build-b \(failed\)/).waitFor();
  assert.match(page.url(), new RegExp(`/pipelines/${id}$`), 'a job that never ran has no job page to open');
  assert.is(await page.getByRole('button', { name: 'Retry all' }).count(), 1);
  assert.is(await page.getByRole('button', { name: 'Cancel pipeline' }).count(), 0, 'nothing to cancel in an ended pipeline');

  await page.getByRole('button', { name: 'Retry failed' }).click();
  await page.locator('.facts .state-running').waitFor();
  await page.locator('.facts div', { hasText: 'Attempt' }).locator('dd', { hasText: /^2$/ }).waitFor();
  await node(page, 'deploy', 'blocked').waitFor();
  const retried = (await ctx.mesh.api.pipelines.getPipeline({ id })).pipeline!;
  assert.is(retried.attempt, 2);
  assert.is(retried.jobs.find((j) => j.key === 'build-b')!.runs, 2, 'build b ran again');
  assert.is(retried.jobs.find((j) => j.key === 'build-a')!.runs, 1, 'build a kept its result');
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(ctx.shots, 'pipeline.png'), fullPage: true });

  await page.getByRole('button', { name: 'Cancel pipeline' }).click();
  await page.locator('.facts .state-cancelled').waitFor();
  await node(page, 'deploy', 'cancelled').waitFor();
  assert.is((await waitForPipeline(ctx.mesh.api.pipelines.getPipeline, id, undefined, 60_000)).state, PipelineState.PIPELINE_STATE_CANCELLED);
}));

test('keyboard: Tab reaches a node and Enter opens its job page with its steps', (ctx) => withPage(ctx.browser, async (page) => {
  const { pipeline } = await ctx.mesh.api.pipelines.getPipeline({ id: ctx.chainId });
  const build = pipeline!.jobs.find((j) => j.key === 'build')!;
  assert.is(build.state, PipelineJobState.PIPELINE_JOB_STATE_SUCCEEDED);
  await page.goto(`${ctx.console.url}/pipelines/${ctx.chainId}`);
  await node(page, 'build', 'succeeded').waitFor();
  let focused = '';
  for (let i = 0; i < 80 && focused !== 'build'; i++) {
    await page.keyboard.press('Tab');
    focused = await page.evaluate<string>("document.activeElement?.getAttribute('data-key') ?? ''");
  }
  assert.is(focused, 'build', 'Tab reached the node');
  await page.keyboard.press('ArrowDown');
  assert.is(await page.evaluate<string>("document.activeElement?.getAttribute('data-key')"), 'deploy', '↓ moves to the next node');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('Enter');
  await page.waitForURL(`**/jobs/${build.jobRequestId}`);
  await page.getByRole('navigation', { name: 'Steps of this job' }).getByRole('button', { name: /compile/ }).waitFor();
  await page.getByRole('log', { name: 'Job log output' }).getByText('compiling', { exact: true }).waitFor();
  await page.getByRole('link', { name: ctx.chainId }).click();
  await page.waitForURL(`**/pipelines/${ctx.chainId}`);
}));

test('the list filters by state and repository and pages by cursor (screenshot)', (ctx) => withPage(ctx.browser, async (page) => {
  await page.goto(`${ctx.console.url}/pipelines`);
  const rows = page.locator('tr[data-pipeline-id]');
  await page.locator(`tr[data-pipeline-id="${ctx.chainId}"][data-state="succeeded"]`).waitFor();
  assert.is(await rows.count(), 2);
  await page.getByRole('button', { name: 'cancelled', exact: true }).click();
  await page.waitForURL('**/pipelines?state=cancelled');
  await page.locator(`tr[data-pipeline-id="${ctx.chainId}"]`).waitFor({ state: 'detached' });
  assert.is(await rows.count(), 1);
  await page.getByRole('button', { name: 'cancelled', exact: true }).click();
  await page.getByLabel('Repository', { exact: true }).fill('file:///nowhere');
  await page.getByLabel('Repository', { exact: true }).press('Enter');
  await page.getByText('No pipelines match.').waitFor();
  await page.getByLabel('Repository', { exact: true }).fill(ctx.repo.url);
  await page.getByLabel('Repository', { exact: true }).press('Enter');
  await page.locator(`tr[data-pipeline-id="${ctx.chainId}"]`).waitFor();
  // Pages of one: the cursor leads to the older one.
  const pages = await page.evaluate(async () => {
    const first = (await (await fetch('/api/pipelines?limit=1')).json()) as { pipelines: Array<{ id: string }>; nextCursor: string };
    const second = (await (await fetch(`/api/pipelines?limit=1&cursor=${encodeURIComponent(first.nextCursor)}`)).json()) as { pipelines: Array<{ id: string }> };
    const bad = await fetch('/api/pipelines?state=sleeping');
    return { first: first.pipelines.map((p) => p.id), second: second.pipelines.map((p) => p.id), bad: bad.status };
  });
  assert.is(pages.first.length, 1);
  assert.is(pages.second.length, 1);
  assert.is.not(pages.first[0], pages.second[0]);
  assert.is(pages.second[0], ctx.chainId, 'newest first');
  assert.is(pages.bad, 400);
  await page.goto(`${ctx.console.url}/pipelines`);
  await rows.nth(1).waitFor();
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(ctx.shots, 'pipelines.png') });
}));

test.run();
