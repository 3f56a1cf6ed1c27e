import { AdminServiceService } from '@jobmesh/contracts/jobmesh/orchestrator/v1/admin.ts';
import { JobState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { createClient, Metadata, status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { makeGitRepo, startTestMesh, waitForJobEnd, type TestMesh } from './support/index.ts';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../../cli/src/main.ts', import.meta.url));
const tokens = { read: `r-${randomBytes(12).toString('hex')}`, admin: `a-${randomBytes(12).toString('hex')}` };

// Retention through the public API and the CLI: the whole mesh, real processes.
type Ctx = { mesh: TestMesh; repo: { url: string; commit: string } };
const test = suite<Ctx>('AdminService/PruneHistory and jobmesh admin prune');
test.before(async (ctx) => {
  const tokensFile = join(tmpdir(), `jobmesh-prune-tokens-${randomBytes(6).toString('hex')}`);
  await writeFile(tokensFile, `read ${tokens.read}\nadmin ${tokens.admin}\n`);
  ctx.mesh = await withDeadline(startTestMesh({ token: tokens.admin, env: { JOBMESH_TOKENS_FILE: tokensFile, JOBMESH_RETENTION_INTERVAL_MS: '0' } }), 180_000, 'mesh up');
  ctx.repo = await makeGitRepo({ README: 'repo\n' });
});
test.after(async (ctx) => ctx.mesh?.stop());

const adminClient = (mesh: TestMesh, token: string) => {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return createClient(AdminServiceService, mesh.address.orchestrator, { metadata, deadlineMs: 60_000, maxAttempts: 1 });
};
const exists = (path: string) => stat(path).then(() => true, () => false);
/** The CLI's `KIND COUNT ...` rows as { kind: count }. */
const countsIn = (stdout: string) => Object.fromEntries([...stdout.matchAll(/^([a-z_]+)\s+(\d+)\s/gm)].map((m) => [m[1]!, Number(m[2])]));

test('an ended job goes with its log, workflow, VM records, artifacts and mirror; a running job is never touched; the dry run only counts', async (ctx) => {
  const submit = (script: string) => ctx.mesh.api.jobs.submitJob({
    repoUrl: ctx.repo.url, commitSha: ctx.repo.commit, runsOn: 'local', script, env: {}, secretEnv: {}, timeoutMs: 120_000,
    artifactPatterns: ['out/**'], artifactWhen: 0, requestId: '',
  });
  const ended = (await submit('mkdir -p out; echo kept-until-pruned > out/a.txt; echo done')).job!.requestId;
  assert.is((await waitForJobEnd(ctx.mesh.api.jobs.getJob, ended)).state, JobState.JOB_STATE_SUCCEEDED);
  const running = (await submit('echo started; sleep 60')).job!.requestId;
  await withDeadline((async () => {
    while ((await ctx.mesh.api.jobs.getJob({ requestId: running })).job!.state !== JobState.JOB_STATE_RUNNING) await new Promise((r) => setTimeout(r, 200));
  })(), 60_000, 'second job running');
  const cutoff = new Date();
  const artifactDir = join(ctx.mesh.dataDir, 'artifacts', ended);
  assert.ok(await exists(artifactDir));
  assert.is((await readdir(join(ctx.mesh.dataDir, 'mirrors'))).filter((n) => n.endsWith('.git')).length, 1);

  const env = { ...process.env, JOBMESH_ADDR: ctx.mesh.address.orchestrator, JOBMESH_TOKEN: tokens.admin };
  const dry = await run(process.execPath, [cli, 'admin', 'prune', '--dry-run', '--older-than', cutoff.toISOString()], { env });
  assert.match(dry.stdout, /dry run: nothing was deleted/);
  const wouldGo = countsIn(dry.stdout);
  assert.is(wouldGo.jobs, 1, dry.stdout);
  assert.ok(wouldGo.job_events! >= 2, dry.stdout);
  assert.ok(wouldGo.log_chunks! >= 1, dry.stdout);
  assert.is(wouldGo.workflows, 1, dry.stdout);
  assert.ok(wouldGo.workflow_steps! >= 4, dry.stdout);
  assert.is(wouldGo.vms, 1, dry.stdout);
  assert.ok(wouldGo.vm_events! >= 2, dry.stdout);
  assert.is(wouldGo.artifact_sets, 1, dry.stdout);
  assert.is(wouldGo.artifact_files, 1, dry.stdout);
  assert.is(wouldGo.artifact_folders, 1, dry.stdout);
  assert.is(wouldGo.mirrors, 1, dry.stdout);
  assert.is((await ctx.mesh.api.jobs.getJob({ requestId: ended })).job!.requestId, ended, 'the dry run deleted nothing');
  assert.ok(await exists(artifactDir));

  const done = await run(process.execPath, [cli, 'admin', 'prune', '--older-than', cutoff.toISOString()], { env });
  assert.match(done.stdout, /^pruned:/);
  const pruned = countsIn(done.stdout);
  for (const kind of ['jobs', 'job_events', 'log_chunks', 'workflows', 'workflow_steps', 'vms', 'vm_events', 'artifact_sets', 'artifact_files', 'artifact_folders', 'mirrors']) {
    assert.is(pruned[kind], wouldGo[kind], `${kind}: the prune deletes what the dry run counted`);
  }
  await expectStatus(ctx.mesh.api.jobs.getJob({ requestId: ended }), status.NOT_FOUND);
  assert.not.ok(await exists(artifactDir), 'the artifact folder is gone');
  assert.is((await ctx.mesh.store.vms.listVms({ states: [], jobRequestId: ended, host: '', pageSize: 0, pageToken: '' })).vms.length, 0);

  const live = (await ctx.mesh.api.jobs.getJob({ requestId: running })).job!;
  assert.is(live.state, JobState.JOB_STATE_RUNNING, 'the running job is untouched');
  assert.ok((await ctx.mesh.api.operations.getOperation({ id: running })).operation, 'and so is its workflow');
  await ctx.mesh.api.jobs.cancelJob({ requestId: running, reason: 'test over' });
  assert.is((await waitForJobEnd(ctx.mesh.api.jobs.getJob, running)).state, JobState.JOB_STATE_CANCELLED, 'and it still ends normally');
});

test('a read token is PERMISSION_DENIED; an older_than in the future is INVALID_ARGUMENT naming it; the CLI refuses a bad flag', async (ctx) => {
  await expectStatus(adminClient(ctx.mesh, tokens.read).pruneHistory({ dryRun: true, olderThan: undefined }), status.PERMISSION_DENIED);
  const admin = adminClient(ctx.mesh, tokens.admin);
  await expectStatus(admin.pruneHistory({ dryRun: true, olderThan: new Date(Date.now() + 86_400_000) }), status.INVALID_ARGUMENT, { field: 'older_than' });
  // Without older_than, the configured retention (30 days by default) applies: nothing here is that old.
  const answer = await admin.pruneHistory({ dryRun: true, olderThan: undefined });
  assert.ok(answer.kinds.every((k) => k.count === 0 && k.cutoff!.getTime() < Date.now() - 29 * 86_400_000));
  const env = { ...process.env, JOBMESH_ADDR: ctx.mesh.address.orchestrator, JOBMESH_TOKEN: tokens.admin };
  const bad = await run(process.execPath, [cli, 'admin', 'prune', '--older-than-days', 'soon'], { env }).catch((e: { code: number; stderr: string }) => e);
  assert.is((bad as { code: number }).code, 2);
  assert.match((bad as { stderr: string }).stderr, /--older-than-days/);
});

test.run();
