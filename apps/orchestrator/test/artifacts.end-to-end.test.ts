import { ArtifactWhen, JobState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { downloadArtifact, makeGitRepo, startTestMesh, waitForJobEnd, type TestMesh } from './support/index.ts';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../../cli/src/main.ts', import.meta.url));
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

type Ctx = { mesh: TestMesh; repo: { url: string; commit: string } };
const test = suite<Ctx>('artifacts come back from where the job ran (process backend, public API, CLI)');
test.before(async (ctx) => {
  ctx.mesh = await withDeadline(startTestMesh({ localSlots: 2, env: { JOBMESH_ARTIFACT_MAX_FILES: '5', JOBMESH_ARTIFACT_MAX_BYTES: String(4 * 1024 * 1024) } }), 180_000, 'mesh up');
  ctx.repo = await makeGitRepo({ 'README': 'repo\n' });
});
test.after(async (ctx) => ctx.mesh?.stop());

// The job writes two artifacts and prints their sha256, plus a file outside out/.
const producer = [
  'mkdir -p out/sub',
  'echo "artifact a" > out/a.txt',
  'head -c 1048576 /dev/urandom > out/sub/b.bin',
  'chmod 755 out/sub/b.bin',
  'echo "not an artifact" > elsewhere.txt',
  'sha256sum out/a.txt out/sub/b.bin',
].join('\n');

const submit = (ctx: Ctx, script: string, extra: Record<string, unknown> = {}) =>
  ctx.mesh.api.jobs.submitJob({ repoUrl: ctx.repo.url, commitSha: ctx.repo.commit, runsOn: 'local', script, env: {}, secretEnv: {}, timeoutMs: 60_000, artifactPatterns: ['out/**'], artifactWhen: 0, requestId: '', ...extra });

async function logOf(mesh: TestMesh, requestId: string): Promise<string> {
  const parts: string[] = [];
  for await (const chunk of mesh.api.jobs.streamJobLogs({ requestId, fromOffset: 0, follow: false })) parts.push(Buffer.from(chunk.data).toString());
  return parts.join('');
}
/** `<sha256>  <path>` lines sha256sum printed in the job. */
const printedSums = (log: string) => Object.fromEntries([...log.matchAll(/^([0-9a-f]{64})  (\S+)$/gm)].map((m) => [m[2]!, m[1]!]));

test('exactly the matched files come back, with the sha256 the job printed, and download byte for byte', async (ctx) => {
  const { job } = await submit(ctx, producer);
  const done = await waitForJobEnd(ctx.mesh.api.jobs.getJob, job!.requestId);
  assert.is(done.state, JobState.JOB_STATE_SUCCEEDED, done.error);
  const sums = printedSums(await logOf(ctx.mesh, job!.requestId));
  const list = await ctx.mesh.api.artifacts.listArtifacts({ requestId: job!.requestId, pageSize: 0, pageToken: '' });
  assert.ok(list.collected);
  assert.equal(list.artifacts.map((a) => a.path), ['out/a.txt', 'out/sub/b.bin']);
  assert.equal(Object.fromEntries(list.artifacts.map((a) => [a.path, a.sha256])), sums);
  assert.is(list.artifacts[1]!.sizeBytes, 1024 * 1024);
  assert.is(list.artifacts[1]!.mode, 0o755);
  assert.is(list.totalCount, 2);
  assert.is(done.artifactManifest, list.manifestSha256);
  for (const artifact of list.artifacts) {
    const { artifact: described, data } = await downloadArtifact(ctx.mesh.api.artifacts, job!.requestId, artifact.path);
    assert.equal(described, artifact);
    assert.is(sha256(data), sums[artifact.path]);
  }
  // Resumable: from an offset, the rest of the bytes.
  const whole = await downloadArtifact(ctx.mesh.api.artifacts, job!.requestId, 'out/sub/b.bin');
  const tail = await downloadArtifact(ctx.mesh.api.artifacts, job!.requestId, 'out/sub/b.bin', 1000);
  assert.ok(tail.data.equals(whole.data.subarray(1000)));
  // Staging is empty once the artifacts are committed.
  assert.equal(await readdir(join(ctx.mesh.dataDir, 'staging', 'outputs')).catch(() => []), []);
  // Errors name what is wrong.
  await expectStatus(downloadArtifact(ctx.mesh.api.artifacts, job!.requestId, 'elsewhere.txt'), status.NOT_FOUND, { reason: 'ARTIFACT_NOT_FOUND', field: 'path' });
  await expectStatus(downloadArtifact(ctx.mesh.api.artifacts, job!.requestId, 'out/a.txt', 1 << 20), status.OUT_OF_RANGE, { field: 'offset' });
  await expectStatus(ctx.mesh.api.artifacts.listArtifacts({ requestId: 'nope', pageSize: 0, pageToken: '' }), status.INVALID_ARGUMENT, { field: 'request_id' });
  await expectStatus(ctx.mesh.api.artifacts.listArtifacts({ requestId: randomUUID(), pageSize: 0, pageToken: '' }), status.NOT_FOUND);
});

test('jobmesh artifacts and artifacts get round trip, sha256 verified', async (ctx) => {
  const { job } = await submit(ctx, producer);
  const done = await waitForJobEnd(ctx.mesh.api.jobs.getJob, job!.requestId);
  assert.is(done.state, JobState.JOB_STATE_SUCCEEDED, done.error);
  const env = { ...process.env, JOBMESH_ADDR: ctx.mesh.address.orchestrator };
  const table = await run(process.execPath, [cli, 'artifacts', job!.requestId], { env });
  assert.match(table.stdout, /out\/a\.txt/);
  assert.match(table.stdout, /out\/sub\/b\.bin\s+1048576\s+0755/);
  const listed = JSON.parse((await run(process.execPath, [cli, 'artifacts', job!.requestId, '--json'], { env })).stdout) as { artifacts: { path: string; sha256: string }[] };
  const dir = join(ctx.mesh.dataDir, 'downloaded');
  await run(process.execPath, [cli, 'artifacts', 'get', job!.requestId, '--all', '-o', dir], { env });
  for (const artifact of listed.artifacts) assert.is(sha256(await readFile(join(dir, artifact.path))), artifact.sha256);
  const one = join(ctx.mesh.dataDir, 'a-copy.txt');
  await run(process.execPath, [cli, 'artifacts', 'get', job!.requestId, 'out/a.txt', '-o', one], { env });
  assert.is(await readFile(one, 'utf8'), 'artifact a\n');
  const piped = await run(process.execPath, [cli, 'artifacts', 'get', job!.requestId, 'out/a.txt'], { env });
  assert.is(piped.stdout, 'artifact a\n');
  const missing = await run(process.execPath, [cli, 'artifacts', 'get', job!.requestId, 'nope.txt'], { env }).catch((e: { code: number; stderr: string }) => e);
  assert.is((missing as { code: number }).code, 1);
  assert.match((missing as { stderr: string }).stderr, /NOT_FOUND/);
});

test('a failing job with when=always still yields its artifacts; on_success collects nothing', async (ctx) => {
  const always = await submit(ctx, `${producer}\nexit 1`, { artifactWhen: ArtifactWhen.ARTIFACT_WHEN_ALWAYS });
  const onSuccess = await submit(ctx, `${producer}\nexit 1`);
  const done = await waitForJobEnd(ctx.mesh.api.jobs.getJob, always.job!.requestId);
  assert.is(done.state, JobState.JOB_STATE_FAILED);
  assert.is(done.exitCode, 1);
  const list = await ctx.mesh.api.artifacts.listArtifacts({ requestId: done.requestId, pageSize: 0, pageToken: '' });
  assert.equal(list.artifacts.map((a) => a.path), ['out/a.txt', 'out/sub/b.bin']);
  assert.equal(Object.fromEntries(list.artifacts.map((a) => [a.path, a.sha256])), printedSums(await logOf(ctx.mesh, done.requestId)));
  const skipped = await waitForJobEnd(ctx.mesh.api.jobs.getJob, onSuccess.job!.requestId);
  assert.is(skipped.state, JobState.JOB_STATE_FAILED);
  assert.not.ok((await ctx.mesh.api.artifacts.listArtifacts({ requestId: skipped.requestId, pageSize: 0, pageToken: '' })).collected);
});

test('a pattern matching nothing is in the log and the result', async (ctx) => {
  const { job } = await submit(ctx, producer, { artifactPatterns: ['out/a.txt', 'dist/*.tgz'] });
  const done = await waitForJobEnd(ctx.mesh.api.jobs.getJob, job!.requestId);
  assert.is(done.state, JobState.JOB_STATE_SUCCEEDED, done.error);
  const list = await ctx.mesh.api.artifacts.listArtifacts({ requestId: job!.requestId, pageSize: 0, pageToken: '' });
  assert.equal(list.artifacts.map((a) => a.path), ['out/a.txt']);
  assert.equal(list.unmatchedPatterns, ['dist/*.tgz']);
  assert.match(await logOf(ctx.mesh, job!.requestId), /artifact pattern "dist\/\*\.tgz" matched no file/);
});

test('over the caps, or a symlink out of the workspace: the job fails with the reason and nothing is stored', async (ctx) => {
  const tooMany = await submit(ctx, 'mkdir -p out; for i in 1 2 3 4 5 6; do echo $i > out/$i; done');
  const tooBig = await submit(ctx, 'mkdir -p out; head -c 5000000 /dev/zero > out/big');
  const escapes = await submit(ctx, 'mkdir -p out; ln -s /etc/passwd out/passwd');
  for (const [submitted, reason] of [[tooMany, 'ARTIFACT_LIMIT_EXCEEDED'], [tooBig, 'ARTIFACT_LIMIT_EXCEEDED'], [escapes, 'ARTIFACT_PATH_ESCAPES']] as const) {
    const done = await waitForJobEnd(ctx.mesh.api.jobs.getJob, submitted.job!.requestId);
    assert.is(done.state, JobState.JOB_STATE_FAILED);
    assert.is(done.exitCode, 0, 'the script itself succeeded');
    assert.match(done.error, reason);
    assert.not.ok((await ctx.mesh.api.artifacts.listArtifacts({ requestId: done.requestId, pageSize: 0, pageToken: '' })).collected);
    assert.not.ok(await stat(join(ctx.mesh.dataDir, 'artifacts', done.requestId)).then(() => true, () => false), 'nothing in the artifact store');
  }
  assert.equal(await readdir(join(ctx.mesh.dataDir, 'staging', 'outputs')).catch(() => []), [], 'nothing left in staging');
});

test.run();
