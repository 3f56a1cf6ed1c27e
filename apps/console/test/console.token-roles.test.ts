import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobState, PipelineJobState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { makeGitRepo, startTestMesh, waitForJobEnd, type TestMesh } from '@jobmesh/orchestrator/testing';
import { skipTest } from '@jobmesh/testing-tools';
import type { Browser, Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { launchBrowser, loudHook, noChromium, screenshotDir, startConsole, type TestConsole } from './support/index.ts';

// With JOBMESH_TOKENS_FILE the console asks for a token, shows what its proven role allows, and
// the API itself refuses the rest: a forged cancel with a read token is 403 PERMISSION_DENIED.
const tokens = { read: `r-${randomBytes(12).toString('hex')}`, submit: `s-${randomBytes(12).toString('hex')}`, admin: `a-${randomBytes(12).toString('hex')}` };
interface Ctx { dir: string; mesh: TestMesh; console: TestConsole; browser: Browser | undefined; jobId: string; pipelineId: string }
const test = suite<Ctx>('console: tokens and roles');

test.before(loudHook(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), 'jobmesh-console-tokens-'));
  await chmod(ctx.dir, 0o755);
  const file = join(ctx.dir, 'tokens');
  await writeFile(file, `read ${tokens.read}\nsubmit ${tokens.submit}\nadmin ${tokens.admin}\n`, { mode: 0o600 });
  const repo = await makeGitRepo({ 'README.md': 'tokens\n', '.jobmesh.yml': 'jobs:\n  deploy:\n    runs_on: local\n    steps:\n      - block: Ship it?\n      - run: echo shipped\n' });
  ctx.mesh = await withDeadline(startTestMesh({ localSlots: 2, env: { JOBMESH_TOKENS_FILE: file }, token: tokens.admin }), 180_000, 'mesh up');
  ctx.console = await startConsole(ctx.mesh.address.orchestrator);
  ctx.browser = await launchBrowser();
  const { job } = await ctx.mesh.api.jobs.submitJob({ repoUrl: repo.url, commitSha: repo.commit, runsOn: 'local', script: 'echo waiting; sleep 300', env: {}, secretEnv: {}, timeoutMs: 600_000, artifactPatterns: [], artifactWhen: 0, requestId: '' });
  ctx.jobId = job!.requestId;
  const { pipeline } = await ctx.mesh.api.pipelines.submitPipeline({ repoUrl: repo.url, commitSha: repo.commit, manifestPath: '', env: {}, secretEnv: {}, requestId: '' });
  ctx.pipelineId = pipeline!.id;
}));
test.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.console?.stop();
  if (ctx.jobId) await ctx.mesh?.api.jobs.cancelJob({ requestId: ctx.jobId, reason: 'test over' }).catch(() => undefined);
  if (ctx.pipelineId) await ctx.mesh?.api.pipelines.cancelPipeline({ id: ctx.pipelineId, reason: 'test over' }).catch(() => undefined);
  await ctx.mesh?.stop();
  await rm(ctx.dir, { recursive: true, force: true });
});

async function signIn(page: Page, url: string, token: string) {
  await page.goto(`${url}/jobs/`);
  await page.getByLabel('Token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** A new page signed in with `token`, once the console shows the role the API proved. */
async function signedInPage(ctx: Ctx, token: string, role: string): Promise<Page> {
  const page = await ctx.browser!.newPage();
  page.setDefaultTimeout(60_000);
  await signIn(page, ctx.console.url, token);
  await page.getByText('token role:').waitFor();
  assert.is(await page.locator('.who strong').innerText(), role);
  return page;
}

test('GET /api/session: each role is proven by the API (no browser needed); without a token nothing is', async (ctx) => {
  const session = async (token?: string) => {
    const response = await fetch(`${ctx.console.url}/api/session`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    assert.is(response.status, 200);
    return (await response.json()) as { open: boolean; role: string | null; tokenProblem: string };
  };
  for (const role of ['read', 'submit', 'admin'] as const) assert.equal({ ...(await session(tokens[role])), tokenProblem: '' }, { open: false, role, tokenProblem: '', orchestrator: ctx.mesh.address.orchestrator });
  assert.equal(await session(), { open: false, role: null, tokenProblem: '', orchestrator: ctx.mesh.address.orchestrator });
  const unknown = await session('nope');
  assert.is(unknown.role, null);
  assert.ok(unknown.tokenProblem, 'says why the token was refused');
  const list = await fetch(`${ctx.console.url}/api/jobs`);
  assert.is(list.status, 401);
  assert.is(((await list.json()) as { code: string }).code, 'UNAUTHENTICATED');
  assert.is((await ctx.mesh.api.jobs.listJobs({ states: [], runsOn: '', repoUrl: '', pageSize: 10, pageToken: '' })).jobs.length, 1, 'the probes created no job');
});

test('without a token the console asks for one; a wrong one is refused', async (ctx) => {
  if (!ctx.browser) return skipTest(noChromium);
  const page = await ctx.browser.newPage();
  try {
    await page.goto(`${ctx.console.url}/jobs`);
    await page.getByRole('heading', { name: 'Sign in with a token' }).waitFor();
    assert.is(await page.getByText('API open: no token needed').count(), 0);
    await page.screenshot({ path: join(await screenshotDir(), 'sign-in.png') });
    await signIn(page, ctx.console.url, 'not-a-token');
    await page.getByText(/The token was refused/).waitFor();
  } finally {
    await page.close();
  }
});

test('a read token sees no cancel button, and a forged cancel with it is 403 PERMISSION_DENIED', async (ctx) => {
  if (!ctx.browser) return skipTest(noChromium);
  const page = await signedInPage(ctx, tokens.read, 'read');
  try {
    await page.locator(`tr[data-job-id="${ctx.jobId}"][data-state="running"]`).waitFor();
    assert.is(await page.getByRole('button', { name: 'Cancel selected' }).count(), 0, 'no bulk cancel');
    assert.is(await page.getByRole('checkbox').count(), 0, 'nothing to select');
    await page.goto(`${ctx.console.url}/jobs/${ctx.jobId}`);
    await page.getByRole('log', { name: 'Job log output' }).getByText('waiting', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Download raw log' }).waitFor();
    assert.is(await page.getByRole('button', { name: 'Cancel job' }).count(), 0, 'no cancel button for a read token');

    const forged = await page.evaluate(async ([id, token]) => {
      const response = await fetch(`/api/jobs/${id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
      return { status: response.status, body: (await response.json()) as { code: string; reason: string } };
    }, [ctx.jobId, tokens.read] as const);
    assert.is(forged.status, 403);
    assert.is(forged.body.code, 'PERMISSION_DENIED');
    assert.is(forged.body.reason, 'ROLE_INSUFFICIENT');
    assert.is((await ctx.mesh.api.jobs.getJob({ requestId: ctx.jobId })).job!.state, JobState.JOB_STATE_RUNNING, 'the job still runs');

    // Reading is allowed: the raw log downloads through a short-lived link (links cannot carry the header).
    const raw = await page.evaluate(async ([id, token]) => {
      const ticket = await fetch('/api/downloads', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'log', jobId: id }) });
      const { url } = (await ticket.json()) as { url: string };
      const response = await fetch(url);
      return { type: response.headers.get('content-disposition'), text: await response.text() };
    }, [ctx.jobId, tokens.read] as const);
    assert.match(raw.type ?? '', /attachment/);
    assert.is(raw.text, 'waiting\n');
  } finally {
    await page.close();
  }
});

test('a read token sees no approve, retry or cancel on a pipeline, and a forged approve with it is 403 PERMISSION_DENIED', async (ctx) => {
  if (!ctx.browser) return skipTest(noChromium);
  const page = await signedInPage(ctx, tokens.read, 'read');
  try {
    await page.goto(`${ctx.console.url}/pipelines/${ctx.pipelineId}`);
    await page.locator('g.node[data-key="deploy"][data-state="blocked"]').waitFor();
    const waiting = page.getByRole('region', { name: 'Waiting for approval' });
    await waiting.getByText('an admin token approves it').waitFor();
    for (const name of [/Approve/, /Retry/, 'Cancel pipeline']) assert.is(await page.getByRole('button', { name }).count(), 0, `no ${name} button for a read token`);
    const forged = await page.evaluate(async ([id, token]) => {
      const response = await fetch(`/api/pipelines/${id}/approve`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ jobKey: 'deploy', step: '0' }) });
      return { status: response.status, body: (await response.json()) as { code: string; reason: string } };
    }, [ctx.pipelineId, tokens.read] as const);
    assert.is(forged.status, 403);
    assert.is(forged.body.code, 'PERMISSION_DENIED');
    assert.is(forged.body.reason, 'ROLE_INSUFFICIENT');
    const { pipeline } = await ctx.mesh.api.pipelines.getPipeline({ id: ctx.pipelineId });
    assert.is(pipeline!.jobs[0]!.state, PipelineJobState.PIPELINE_JOB_STATE_BLOCKED, 'still waiting');
    assert.is(pipeline!.jobs[0]!.steps[0]!.approvedBy, '', 'not approved');
  } finally {
    await page.close();
  }
});

test('a submit token may not approve or cancel a pipeline either; an admin token gets both buttons', async (ctx) => {
  if (!ctx.browser) return skipTest(noChromium);
  for (const [token, role, buttons] of [[tokens.submit, 'submit', 0], [tokens.admin, 'admin', 1]] as const) {
    const page = await signedInPage(ctx, token, role);
    try {
      await page.goto(`${ctx.console.url}/pipelines/${ctx.pipelineId}`);
      await page.locator('g.node[data-key="deploy"][data-state="blocked"]').waitFor();
      await page.getByRole('region', { name: 'Waiting for approval' }).waitFor();
      assert.is(await page.getByRole('button', { name: /Approve/ }).count(), buttons, role);
      assert.is(await page.getByRole('button', { name: 'Cancel pipeline' }).count(), buttons, role);
    } finally {
      await page.close();
    }
  }
});

test('an admin token sees the cancel button, and cancelling works', async (ctx) => {
  if (!ctx.browser) return skipTest(noChromium);
  const page = await signedInPage(ctx, tokens.admin, 'admin');
  try {
    await page.goto(`${ctx.console.url}/jobs/${ctx.jobId}`);
    await page.getByRole('button', { name: 'Cancel job' }).click();
    assert.is((await waitForJobEnd(ctx.mesh.api.jobs.getJob, ctx.jobId, 60_000)).state, JobState.JOB_STATE_CANCELLED);
  } finally {
    await page.close();
  }
});

test.run();
