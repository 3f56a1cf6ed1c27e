import { join } from 'node:path';
import { PipelineServiceService } from '@jobmesh/contracts/jobmesh/orchestrator/v1/pipelines.ts';
import { JobState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { createClient } from '@jobmesh/grpc-kit';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { makeGitRepo, startTestMesh, waitForJobEnd, type TestMesh } from '@jobmesh/orchestrator/testing';
import { skipTest } from '@jobmesh/testing-tools';
import type { Browser, Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { launchBrowser, loudHook, noChromium, screenshotDir, startConsole, tearDown, type TestConsole } from './support/index.ts';

// The console against a real mesh on the process backend, driven by Debian's Chromium: the jobs
// table and the log follow the API live, and cancel works from the page.
interface Ctx { mesh: TestMesh; console: TestConsole; browser: Browser | undefined; repo: { url: string; commit: string }; shots: string }
const test = suite<Ctx>('console: live jobs table, live log, cancel, every page');

test.before(loudHook(async (ctx) => {
  ctx.repo = await makeGitRepo({
    'README.md': 'console test\n',
    '.jobmesh.yml': 'jobs:\n  build:\n    runs_on: local\n    steps:\n      - name: compile\n        run: echo compiling\n      - name: check\n        run: echo checking\n',
  });
  ctx.mesh = await withDeadline(startTestMesh({ localSlots: 4 }), 180_000, 'mesh up');
  ctx.console = await startConsole(ctx.mesh.address.orchestrator);
  ctx.browser = await launchBrowser();
  ctx.shots = await screenshotDir();
}));
test.after(tearDown);

const submit = (ctx: Ctx, script: string, extra: { artifactPatterns?: string[] } = {}) =>
  ctx.mesh.api.jobs.submitJob({ repoUrl: ctx.repo.url, commitSha: ctx.repo.commit, runsOn: 'local', script, env: { CI: '1' }, secretEnv: {}, timeoutMs: 120_000, artifactPatterns: extra.artifactPatterns ?? [], artifactWhen: 0, requestId: '' }).then((r) => r.job!.requestId);

async function waitForState(ctx: Ctx, id: string, state: number, ms = 60_000) {
  await withDeadline((async () => {
    while ((await ctx.mesh.api.jobs.getJob({ requestId: id })).job!.state !== state) await new Promise((r) => setTimeout(r, 100));
  })(), ms, `job ${id} in state ${state}`);
}

async function newPage(ctx: Ctx, width = 1280, height = 800): Promise<Page> {
  const page = await ctx.browser!.newPage({ viewport: { width, height } });
  page.setDefaultTimeout(60_000);
  return page;
}

test('a job submitted through the API appears in the jobs table and turns succeeded without a reload', async (ctx) => {
  if (!ctx.browser) return skipTest(noChromium);
  const page = await newPage(ctx);
  try {
    await page.goto(`${ctx.console.url}/jobs`);
    await page.getByRole('table', { name: 'Jobs' }).waitFor();
    assert.ok(await page.getByText('API open: no token needed').isVisible(), 'an open API is said to be open');
    await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 42));
    const id = await submit(ctx, 'echo hello; sleep 1');
    await page.locator(`tr[data-job-id="${id}"]`).waitFor();
    await page.locator(`tr[data-job-id="${id}"][data-state="succeeded"]`).waitFor();
    assert.is(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker), 42, 'the page was not reloaded');
    await page.locator(`tr[data-job-id="${id}"]`).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(`**/jobs/${id}`);
    // Retry: the same spec as a new job, which the page then shows.
    await page.getByRole('button', { name: 'Retry as a new job' }).click();
    await page.waitForURL((url) => /\/jobs\/[0-9a-f-]{36}$/.test(url.pathname) && !url.pathname.endsWith(id));
    const retried = page.url().split('/').pop()!;
    const again = await waitForJobEnd(ctx.mesh.api.jobs.getJob, retried, 60_000);
    assert.is(again.state, JobState.JOB_STATE_SUCCEEDED);
    assert.is(again.script, 'echo hello; sleep 1');
  } finally {
    await page.close();
  }
});

test('the log of a running job appears live, in order, stderr told apart and colours rendered', async (ctx) => {
  if (!ctx.browser) return skipTest(noChromium);
  const script = `for i in $(seq 1 30); do echo "line $i"; sleep 0.2; done; printf 'to stderr\\n' >&2; printf '\\033[31mred text\\033[0m plain\\n'; echo "--- Section two"; echo done`;
  const id = await submit(ctx, script);
  const page = await newPage(ctx);
  try {
    await page.goto(`${ctx.console.url}/jobs/${id}`);
    const log = page.getByRole('log', { name: 'Job log output' });
    await log.getByText('line 3', { exact: true }).waitFor();
    const { job } = await ctx.mesh.api.jobs.getJob({ requestId: id });
    assert.is(job!.state, JobState.JOB_STATE_RUNNING, 'line 3 was shown while the job still ran');
    await log.getByText('done', { exact: true }).waitFor();
    const lines = await log.locator('.line.stdout').allInnerTexts();
    const numbered = lines.map((l) => l.replace(/^out\s*/, '').trim()).filter((l) => l.startsWith('line '));
    assert.equal(numbered, Array.from({ length: 30 }, (_, i) => `line ${i + 1}`), 'every line once, in order');
    assert.match(await log.locator('.line.stderr').first().innerText(), /to stderr/);
    assert.is(await log.locator('.line .fg1').first().innerText(), 'red text');
    assert.ok(await page.getByRole('combobox').filter({ hasText: 'Section two' }).count(), 'the section is listed');
    await page.locator('.state-succeeded').first().waitFor();
    await page.screenshot({ path: join(ctx.shots, 'job.png') });
  } finally {
    await page.close();
  }
});

test('cancel from the job page ends a running job; bulk cancel from the table ends several', async (ctx) => {
  if (!ctx.browser) return skipTest(noChromium);
  const id = await submit(ctx, 'echo started; sleep 300');
  await waitForState(ctx, id, JobState.JOB_STATE_RUNNING);
  const page = await newPage(ctx);
  try {
    await page.goto(`${ctx.console.url}/jobs/${id}`);
    await page.getByRole('button', { name: 'Cancel job' }).click();
    assert.is((await waitForJobEnd(ctx.mesh.api.jobs.getJob, id, 60_000)).state, JobState.JOB_STATE_CANCELLED);
    await page.locator('.facts .state-cancelled').waitFor();

    const ids = [await submit(ctx, 'sleep 300'), await submit(ctx, 'sleep 300')];
    await page.goto(`${ctx.console.url}/jobs`);
    for (const job of ids) await page.getByRole('checkbox', { name: `Select job ${job.slice(0, 8)}` }).check();
    await page.getByRole('button', { name: 'Cancel selected' }).click();
    await page.getByRole('button', { name: 'Yes, cancel them' }).click();
    for (const job of ids) assert.is((await waitForJobEnd(ctx.mesh.api.jobs.getJob, job, 60_000)).state, JobState.JOB_STATE_CANCELLED);
    for (const job of ids) await page.locator(`tr[data-job-id="${job}"][data-state="cancelled"]`).waitFor();
  } finally {
    await page.close();
  }
});

test('a pipeline job shows its steps as sections of its log', async (ctx) => {
  if (!ctx.browser) return skipTest(noChromium);
  const pipelines = createClient(PipelineServiceService, ctx.mesh.address.orchestrator);
  let jobId = '';
  try {
    const { pipeline } = await pipelines.submitPipeline({ repoUrl: ctx.repo.url, commitSha: ctx.repo.commit, manifestPath: '', env: {}, secretEnv: {}, requestId: '' });
    jobId = await withDeadline((async () => {
      for (;;) {
        const { pipeline: now } = await pipelines.getPipeline({ id: pipeline!.id });
        const id = now!.jobs[0]?.jobRequestId;
        if (id) return id;
        await new Promise((r) => setTimeout(r, 200));
      }
    })(), 60_000, 'pipeline job started');
  } finally {
    pipelines.close();
  }
  await waitForJobEnd(ctx.mesh.api.jobs.getJob, jobId, 60_000);
  const page = await newPage(ctx);
  try {
    await page.goto(`${ctx.console.url}/jobs/${jobId}`);
    const steps = page.getByRole('navigation', { name: 'Steps of this job' });
    await steps.getByRole('button', { name: /compile/ }).waitFor();
    await steps.getByRole('button', { name: /check/ }).waitFor();
    const log = page.getByRole('log', { name: 'Job log output' });
    await log.getByText('compiling', { exact: true }).waitFor();
    await steps.getByRole('button', { name: /check/ }).click();
    await log.getByText('Start of step 1 (check).').waitFor();
    await log.getByText('checking', { exact: true }).waitFor();
    assert.is(await log.getByText('compiling', { exact: true }).count(), 0, 'a step shows only its own output');
    assert.is(await page.getByRole('button', { name: 'Retry as a new job' }).count(), 0, 'a pipeline job is retried through its pipeline');
    await page.screenshot({ path: join(ctx.shots, 'job-steps.png') });
  } finally {
    await page.close();
  }
});

test('every page renders at 1280×800 and on a narrow window (screenshots)', async (ctx) => {
  if (!ctx.browser) return skipTest(noChromium);
  const id = await submit(ctx, 'mkdir -p out; echo built > out/app.txt; head -c 3000 /dev/zero > out/data.bin; echo ok', { artifactPatterns: ['out/**'] });
  await waitForJobEnd(ctx.mesh.api.jobs.getJob, id, 60_000);
  // Four slots busy, then two jobs waiting: the table shows their queue positions.
  const sleepers = [];
  for (let i = 0; i < 4; i++) sleepers.push(await submit(ctx, 'sleep 300'));
  for (const id of sleepers) await waitForState(ctx, id, JobState.JOB_STATE_RUNNING);
  for (let i = 0; i < 2; i++) sleepers.push(await submit(ctx, 'sleep 300'));
  const page = await newPage(ctx);
  try {
    const shots: Array<[string, string, string]> = [
      ['jobs', '/jobs', 'Jobs'],
      ['operation', `/operations/${id}`, 'vm.exec'],
      ['vms', '/vms', 'Capacity by label'],
      ['artifacts', `/jobs/${id}/artifacts`, 'out/app.txt'],
    ];
    await page.goto(`${ctx.console.url}/jobs`);
    await page.locator(`tr[data-job-id="${sleepers[5]}"]`).getByText('#2').waitFor();
    await page.locator(`tr[data-job-id="${sleepers[4]}"]`).getByText('#1').waitFor();
    // An artifact downloads through a short-lived link, byte for byte.
    const artifact = await page.evaluate(async ([jobId]) => {
      const ticket = await fetch('/api/downloads', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'artifact', jobId, path: 'out/app.txt' }) });
      const { url } = (await ticket.json()) as { url: string };
      return (await fetch(url)).text();
    }, [id] as const);
    assert.is(artifact, 'built\n');
    for (const [name, path, text] of shots) {
      await page.goto(`${ctx.console.url}${path}`);
      await page.getByText(text, { exact: true }).first().waitFor();
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(ctx.shots, `${name}.png`), fullPage: name !== 'jobs' });
    }
    const narrow = await newPage(ctx, 420, 800);
    await narrow.goto(`${ctx.console.url}/jobs/${id}`);
    await narrow.getByText('ok', { exact: true }).waitFor();
    assert.ok(await narrow.evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1'), 'no sideways scrolling of the page on a narrow window');
    await narrow.screenshot({ path: join(ctx.shots, 'job-narrow.png') });
    await narrow.close();
  } finally {
    await page.close();
  }
});

test.run();
