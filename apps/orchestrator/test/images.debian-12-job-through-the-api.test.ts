import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { JobState, LogStream, VmState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { catalogLabel, defaultImageCacheDir, ensureDebianImage, type DebianImage } from '@jobmesh/vm-image';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { skipTest } from '@jobmesh/testing-tools';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { makeGitRepo, startTestMesh, waitForJobEnd, type TestMesh } from './support/index.ts';

type Ctx = { mesh?: TestMesh; image?: DebianImage; problem?: string; repo: { url: string; commit: string }; http: Server; port: number };
const test = suite<Ctx>('a job on the debian-12 label through the public API: a stock cloud image, cloud-init, the agent, NAT to the host');
test.before(async (ctx) => {
  try {
    ctx.image = await withDeadline(ensureDebianImage({ cacheDir: defaultImageCacheDir() }), 900_000, 'debian image');
  } catch (error) {
    ctx.problem = error instanceof Error ? error.message : String(error);
    return;
  }
  ctx.http = createServer((_req, res) => res.end('fetched from the host through NAT\n'));
  await new Promise<void>((resolve) => ctx.http.listen(0, '127.0.0.1', resolve));
  ctx.port = (ctx.http.address() as AddressInfo).port;
  ctx.mesh = await withDeadline(startTestMesh({ localSlots: 1, labels: [catalogLabel(ctx.image)], env: { JOBMESH_VMRUNNER_ACCEL: 'tcg' } }), 180_000, 'mesh up');
  ctx.repo = await makeGitRepo({ 'README.md': 'checked out at the commit\n' });
});
test.after(async (ctx) => {
  await ctx.mesh?.stop();
  ctx.http?.close();
});

test('prints /etc/os-release and uname -r, reads the checkout, fetches from the host, exits 3: failed with exit code 3, log streamed live, VM destroyed', async (ctx) => {
  if (!ctx.mesh || !ctx.image) return skipTest(`no Debian image: ${ctx.problem} (npm run image:debian)`);
  const api = ctx.mesh.api;
  const script = ['cat /etc/os-release', 'echo "kernel $(uname -r)"', 'cat README.md', `curl -fsS http://10.0.2.2:${ctx.port}/file`, 'exit 3'].join('\n');
  const { job } = await api.jobs.submitJob({ repoUrl: ctx.repo.url, commitSha: ctx.repo.commit, runsOn: 'debian-12', script, env: {}, secretEnv: {}, timeoutMs: 600_000, artifactPatterns: [], artifactWhen: 0, requestId: '' });
  const requestId = job!.requestId;
  // Follow the log while the job runs: the first output arrives before the job has ended.
  let stdout = '';
  let stateAtFirstOutput: JobState | undefined;
  await withDeadline((async () => {
    for await (const chunk of api.jobs.streamJobLogs({ requestId, fromOffset: 0, follow: true })) {
      if (chunk.stream !== LogStream.LOG_STREAM_STDOUT) continue;
      if (stateAtFirstOutput === undefined) stateAtFirstOutput = (await api.jobs.getJob({ requestId })).job!.state;
      stdout += Buffer.from(chunk.data).toString();
    }
  })(), 600_000, 'follow the log to the end');
  const done = await waitForJobEnd(api.jobs.getJob, requestId, 60_000);
  assert.is(done.state, JobState.JOB_STATE_FAILED, done.error);
  assert.is(done.exitCode, 3);
  assert.ok(stateAtFirstOutput === JobState.JOB_STATE_RUNNING || stateAtFirstOutput === JobState.JOB_STATE_COLLECTING, `the log was live (job ${stateAtFirstOutput} at the first output)`);
  assert.match(stdout, /PRETTY_NAME="Debian GNU\/Linux 12 \(bookworm\)"/);
  assert.ok(stdout.includes(`kernel ${ctx.image.manifest.kernelVersion}`), stdout);
  assert.match(stdout, /checked out at the commit\nfetched from the host through NAT\n/);
  const { vms } = await api.vms.listVms({ states: [], jobRequestId: requestId, pageSize: 0, pageToken: '' });
  assert.ok(vms.length === 1 && vms[0]!.state === VmState.VM_STATE_DESTROYED, 'the VM is destroyed');
  const left = await readdir(join(ctx.mesh.dataDir, 'vm-runner', 'vms')).catch(() => []);
  assert.ok(!left.some((name) => name === vms[0]!.id), 'no VM folder left');
});

test.run();
