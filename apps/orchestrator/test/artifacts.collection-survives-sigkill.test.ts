import { JobState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { makeGitRepo, startTestMesh, waitForJobEnd, type ServiceName, type TestMesh } from './support/index.ts';

type Ctx = { mesh: TestMesh; repo: { url: string; commit: string }; artifactRoot: string };
const test = suite<Ctx>('a SIGKILL of vm-runner or fsops while a 200 MiB artifact is collected');
test.before(async (ctx) => {
  // The artifact store on another filesystem (/dev/shm), throttled: fsops' commit is then a real
  // copy, verify and delete that a kill can cut in half (on one filesystem it is only renames).
  ctx.artifactRoot = await mkdtemp('/dev/shm/jobmesh-artifacts-');
  ctx.mesh = await withDeadline(startTestMesh({ localSlots: 2, env: { JOBMESH_FSOPS_ARTIFACT_ROOT: ctx.artifactRoot, JOBMESH_FSOPS_COPY_CHUNK_DELAY_MS: '2' } }), 180_000, 'mesh up');
  ctx.repo = await makeGitRepo({ README: 'repo\n' });
});
test.after(async (ctx) => {
  await ctx.mesh?.stop();
  await rm(ctx.artifactRoot, { recursive: true, force: true });
});

const bigJob = 'mkdir -p out; head -c 209715200 /dev/urandom > out/big.bin; echo small > out/small.txt; sha256sum out/big.bin out/small.txt';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sha256File = async (path: string) => {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
};
/** Every file under a folder (relative paths), `[]` when it is missing. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => !e.isDirectory()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

async function runKilled(ctx: Ctx, victim: ServiceName, whenToKill: (requestId: string) => Promise<boolean>) {
  const { job } = await ctx.mesh.api.jobs.submitJob({ repoUrl: ctx.repo.url, commitSha: ctx.repo.commit, runsOn: 'local', script: bigJob, env: {}, secretEnv: {}, timeoutMs: 300_000, artifactPatterns: ['out/**'], artifactWhen: 0, requestId: '' });
  const requestId = job!.requestId;
  await withDeadline((async () => {
    while (!(await whenToKill(requestId))) await sleep(5);
  })(), 240_000, `${victim} reaches the moment to kill`);
  await ctx.mesh.kill(victim);
  await ctx.mesh.restart(victim);
  const done = await waitForJobEnd(ctx.mesh.api.jobs.getJob, requestId, 300_000);
  assert.is(done.state, JobState.JOB_STATE_SUCCEEDED, done.error);
  const log: string[] = [];
  for await (const chunk of ctx.mesh.api.jobs.streamJobLogs({ requestId, fromOffset: 0, follow: false })) log.push(Buffer.from(chunk.data).toString());
  const printed = Object.fromEntries([...log.join('').matchAll(/^([0-9a-f]{64})  (\S+)$/gm)].map((m) => [m[2]!, m[1]!]));
  const list = await ctx.mesh.api.artifacts.listArtifacts({ requestId, pageSize: 0, pageToken: '' });
  assert.equal(Object.fromEntries(list.artifacts.map((a) => [a.path, a.sha256])), printed, 'the manifest is what the job wrote');
  // The committed bytes verify, under their final names only; staging holds nothing.
  const stored = join(ctx.artifactRoot, requestId);
  assert.equal((await filesUnder(stored)).sort(), ['out/big.bin', 'out/small.txt']);
  for (const artifact of list.artifacts) assert.is(await sha256File(join(stored, artifact.path)), artifact.sha256);
  assert.equal(await filesUnder(join(ctx.mesh.dataDir, 'staging', 'outputs')), [], 'nothing left in staging');
}

test('vm-runner killed while it stages the files: the step runs again from an empty folder', async (ctx) => {
  // vm-runner is copying once a file (a temporary name first) shows up in the staging folder.
  await runKilled(ctx, 'vm-runner', async () => (await filesUnder(join(ctx.mesh.dataDir, 'staging', 'outputs'))).length > 0);
});

test('fsops killed while it copies the files into the artifact store: the transfer resumes to the same manifest', async (ctx) => {
  // fsops is committing once anything (a temporary name first) shows up in the job's artifact folder.
  await runKilled(ctx, 'fsops', async (requestId) => (await filesUnder(join(ctx.artifactRoot, requestId))).length > 0);
});

test.run();
