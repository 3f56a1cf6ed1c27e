import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PipelineJobState, PipelineState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { makeGitRepo, startTestMesh, waitForPipeline, type TestMesh } from '../../orchestrator/test/support/index.ts';

const cliBin = fileURLToPath(new URL('../bin/jobmesh', import.meta.url));

const twoJobs = `
jobs:
  build:
    runs_on: local
    steps:
      - name: compile
        run: echo compiled
      - name: package
        run: echo packaged
  test:
    runs_on: local
    needs: [build]
    steps:
      - run: echo tested
`;

const gated = `
jobs:
  check:
    runs_on: local
    steps:
      - run: echo checked
  deploy:
    runs_on: local
    needs: [check]
    steps:
      - block: Ship it?
      - name: ship
        run: echo shipped
`;

// unit fails until $MARKERS/fixed exists; report needs both and is skipped when unit fails.
const flaky = `
jobs:
  lint:
    runs_on: local
    steps:
      - run: echo linted
  unit:
    runs_on: local
    steps:
      - name: unit tests
        run: test -e "$MARKERS/fixed" || { echo "not fixed yet"; exit 3; }
  report:
    runs_on: local
    needs: [lint, unit]
    steps:
      - run: echo reported
`;

const slow = `
jobs:
  first:
    runs_on: local
    steps:
      - run: sleep 30
  second:
    runs_on: local
    needs: [first]
    steps:
      - run: echo never
`;

// Mistakes the server finds at once: an unknown need, a step with neither run nor block, a job with no run step.
const broken = `
jobs:
  a:
    runs_on: local
    needs: [nowhere]
    steps:
      - name: nothing
`;

type Result = { code: number; stdout: string; stderr: string };
type Ctx = { mesh: TestMesh; repo: { url: string; commit: string; dir: string }; markers: string; bin: string; env: NodeJS.ProcessEnv };
const test = suite<Ctx>('jobmesh run, pipelines, pipeline, approve, retry, cancel and logs --step against a real mesh (process backend)');
test.before(async (ctx) => {
  ctx.mesh = await withDeadline(startTestMesh({ localSlots: 2 }), 180_000, 'mesh up');
  ctx.repo = await makeGitRepo({ '.jobmesh.yml': twoJobs, 'gated.yml': gated, 'flaky.yml': flaky, 'slow.yml': slow, 'broken.yml': broken });
  ctx.markers = join(ctx.mesh.dataDir, 'markers');
  await mkdir(ctx.markers, { recursive: true });
  // `jobmesh` on PATH, so the approve command the CLI prints runs exactly as printed.
  ctx.bin = await mkdtemp(join(tmpdir(), 'jobmesh-cli-bin-'));
  await symlink(cliBin, join(ctx.bin, 'jobmesh'));
  ctx.env = { ...process.env, JOBMESH_ADDR: ctx.mesh.address.orchestrator, PATH: `${ctx.bin}:${process.env.PATH}`, NO_COLOR: '1' };
});
test.after(async (ctx) => {
  await ctx.mesh?.stop();
  if (ctx.bin) await rm(ctx.bin, { recursive: true, force: true });
});

/** Runs `jobmesh ARGS` (or a shell line with `jobmesh` on PATH) in the test repository; never throws on a non-zero exit. */
function cli(ctx: Ctx, args: string[] | string, cwd = ctx.repo.dir): Promise<Result> {
  const [file, argv] = typeof args === 'string' ? ['sh', ['-c', args]] : [cliBin, args];
  return withDeadline(new Promise<Result>((resolve) => {
    execFile(file, argv, { cwd, env: ctx.env }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
  }), 180_000, `jobmesh ${String(args)}`);
}

function idOf(result: Result): string {
  const id = /^pipeline ([0-9a-f-]{36})/m.exec(result.stdout)?.[1];
  if (!id) throw new Error(`no pipeline id in ${result.stdout}${result.stderr}`);
  return id;
}
const shown = (r: Result) => `exit ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;

test('run --follow: the plan, a line per job change in order, exit 0; then the tree, the list and one step\'s log', async (ctx) => {
  const ran = await cli(ctx, ['run', '--follow']);
  assert.is(ran.code, 0, shown(ran));
  const id = idOf(ran);
  assert.match(ran.stdout, `pipeline ${id}  .jobmesh.yml at ${ctx.repo.commit.slice(0, 12)} of file://${ctx.repo.dir}\n`);
  assert.match(ran.stdout, /^JOB\s+RUNS ON\s+NEEDS\nbuild\s+local\s+-\ntest\s+local\s+build\n/m);
  // A change line per job state seen (the watch may merge quick ones); names padded to one width.
  const changes = ran.stdout.split('\n').filter((line) => /^(build|test) +(pending|running|succeeded|failed)/.test(line));
  const builtAt = changes.findIndex((line) => /^build  succeeded \d+(\.\d)?(ms|s)$/.test(line));
  assert.ok(builtAt >= 0, shown(ran));
  assert.ok(changes.findIndex((line) => line.startsWith('test')) > builtAt, `test changes only after build succeeded: ${shown(ran)}`);
  assert.match(changes.at(-1)!, /^test   succeeded \d+(\.\d)?(ms|s)$/);
  assert.match(ran.stdout, `\npipeline ${id} succeeded\n`);

  const tree = await cli(ctx, ['pipeline', id]);
  assert.is(tree.code, 0, shown(tree));
  assert.match(tree.stdout, `pipeline   ${id}\nstate      succeeded (attempt 1)\n`);
  assert.match(tree.stdout, /^JOB \/ STEP\s+STATE\s+RUNS\s+TOOK\s+JOB ID\s+DETAIL$/m);
  assert.match(tree.stdout, /^build\s+succeeded\s+1\s+\S+\s+[0-9a-f-]{36}$/m);
  assert.match(tree.stdout, /^ {2}· 0 compile\s+succeeded\s+\S+\s+exit 0$/m);
  assert.match(tree.stdout, /^ {2}· 1 package\s+succeeded\s+\S+\s+exit 0$/m);
  assert.match(tree.stdout, /^└─ test\s+succeeded\s+1\s+/m);
  assert.match(tree.stdout, /^ {5}· 0 step 1\s+succeeded\s+\S+\s+exit 0$/m);
  const json = JSON.parse((await cli(ctx, ['pipeline', id, '--json'])).stdout) as { jobs: Array<{ key: string; jobRequestId: string }> };
  const buildJob = json.jobs.find((j) => j.key === 'build')!.jobRequestId;

  const list = await cli(ctx, ['pipelines', '--repo', ctx.repo.url, '--state', 'succeeded']);
  assert.is(list.code, 0, shown(list));
  assert.match(list.stdout, /^ID\s+STATE\s+ATTEMPT\s+CREATED\s+COMMIT\s+MANIFEST\s+REPO$/m);
  assert.match(list.stdout, new RegExp(`^${id}\\s+succeeded\\s+1\\s+\\S+ \\S+\\s+${ctx.repo.commit.slice(0, 12)}\\s+\\.jobmesh\\.yml\\s+file://`, 'm'));
  assert.is((await cli(ctx, ['pipelines', '--state', 'bogus'])).code, 2);

  assert.is((await cli(ctx, ['logs', buildJob, '--step', '1'])).stdout, 'packaged\n');
  assert.is((await cli(ctx, ['logs', buildJob, '--step', 'compile'])).stdout, 'compiled\n');
  const noStep = await cli(ctx, ['logs', buildJob, '--step', 'deploy']);
  assert.is(noStep.code, 2);
  assert.match(noStep.stderr, 'its steps: 0 "compile", 1 "package"');
});

test('a working tree that differs from HEAD is refused (exit 2); --allow-dirty runs HEAD; cancel stops that pipeline, and still cancels jobs', async (ctx) => {
  await writeFile(join(ctx.repo.dir, 'scratch.txt'), 'not committed\n');
  try {
    const refused = await cli(ctx, ['run', '--file', 'slow.yml']);
    assert.is(refused.code, 2, shown(refused));
    assert.match(refused.stderr, '?? scratch.txt');
    assert.match(refused.stderr, '--allow-dirty');
    assert.is(refused.stdout, '');
    // From a subfolder: the repository is found in a parent.
    await mkdir(join(ctx.repo.dir, 'sub'), { recursive: true });
    const dirty = await cli(ctx, ['run', '--file', 'slow.yml', '--allow-dirty'], join(ctx.repo.dir, 'sub'));
    assert.is(dirty.code, 0, shown(dirty));
    assert.match(dirty.stderr, `running HEAD ${ctx.repo.commit.slice(0, 12)} without the 1 uncommitted change(s)`);
    const id = idOf(dirty);
    await waitForPipeline(ctx.mesh.api.pipelines.getPipeline, id, (p) => p.jobs[0]!.state === PipelineJobState.PIPELINE_JOB_STATE_RUNNING);
    const cancelled = await cli(ctx, ['cancel', id]);
    assert.is(cancelled.code, 0, shown(cancelled));
    assert.match(cancelled.stdout, `cancel requested for pipeline ${id}`);
    const done = await waitForPipeline(ctx.mesh.api.pipelines.getPipeline, id, undefined, 60_000);
    assert.is(done.state, PipelineState.PIPELINE_STATE_CANCELLED);
    const again = await cli(ctx, ['cancel', id]);
    assert.is(again.code, 1);
    assert.match(again.stderr, 'FAILED_PRECONDITION');
  } finally {
    await rm(join(ctx.repo.dir, 'scratch.txt'), { force: true });
  }
  const submitted = await cli(ctx, ['submit', '--repo', ctx.repo.url, '--commit', ctx.repo.commit, '--runs-on', 'local', '--', 'sleep 30']);
  const jobId = submitted.stdout.trim();
  const jobCancelled = await cli(ctx, ['cancel', jobId]);
  assert.is(jobCancelled.code, 0, shown(jobCancelled));
  assert.match(jobCancelled.stdout, `cancel requested for job ${jobId}`);
  const neither = await cli(ctx, ['cancel', '00000000-0000-4000-8000-000000000000']);
  assert.is(neither.code, 1);
  assert.match(neither.stderr, 'NOT_FOUND: 00000000-0000-4000-8000-000000000000 is neither a job nor a pipeline');
});

test('a manifest with mistakes: every problem the server found, one per line, and exit 2', async (ctx) => {
  const refused = await cli(ctx, ['run', '--file', 'broken.yml', '--follow']);
  assert.is(refused.code, 2, shown(refused));
  assert.is(refused.stdout, '');
  assert.is(refused.stderr, `jobmesh: manifest: broken.yml at ${ctx.repo.commit.slice(0, 12)} has 3 problem(s):\n` +
    'jobs.a.needs[0]: unknown job nowhere (line 5)\njobs.a.steps: must hold at least one run step (line 6)\njobs.a.steps[0].run: required (line 7)\n');
  const missing = await cli(ctx, ['run', '--file', 'none.yml']);
  assert.is(missing.code, 2, shown(missing));
  assert.match(missing.stderr, '--file names the manifest');
});

test('run --follow prints the exact approve command for a block step; running it lets the pipeline finish', async (ctx) => {
  const child = spawn(cliBin, ['run', '--file', 'gated.yml', '--follow'], { cwd: ctx.repo.dir, env: ctx.env });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (data: Buffer) => (stderr += data));
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  const command = await withDeadline(new Promise<string>((resolve) => {
    child.stdout.on('data', (data: Buffer) => {
      stdout += data;
      const found = /^ {2}to approve "Ship it\?": (jobmesh approve .+)$/m.exec(stdout);
      if (found) resolve(found[1]!);
    });
  }), 120_000, `the approve line; stdout so far: ${stdout}`);
  const id = idOf({ code: 0, stdout, stderr });
  assert.is(command, `jobmesh approve ${id} deploy 'Ship it?'`);
  assert.match(stdout, /^deploy {2}blocked: waits for approval of "Ship it\?"$/m);
  const tree = await cli(ctx, ['pipeline', id]);
  assert.match(tree.stdout, /^└─ deploy\s+blocked\s+0\s+-\s+-\s+waits for approval of "Ship it\?"$/m);
  assert.match(tree.stdout, new RegExp(`^ {5}· 0 Ship it\\?\\s+waiting\\s+\\S+\\s+to approve: jobmesh approve ${id} deploy 'Ship it\\?'$`, 'm'));
  const approved = await cli(ctx, command);
  assert.is(approved.code, 0, shown(approved));
  assert.match(approved.stdout, `approved step 0 "Ship it?" of job deploy in pipeline ${id}`);
  assert.match((await cli(ctx, ['approve', id, 'deploy', '0'])).stdout, 'was approved before (by anonymous');
  const code = await withDeadline(exited, 120_000, 'run --follow ends');
  assert.is(code, 0, `${stdout}${stderr}`);
  assert.match(stdout, /^deploy {2}succeeded \S+$/m);
  const missingStep = await cli(ctx, ['approve', id, 'deploy', 'nope']);
  assert.is(missingStep.code, 1);
  assert.match(missingStep.stderr, 'NOT_FOUND: step:');
});

test('a failing job fails the run (exit 1, with where its output is); retry --failed --follow reruns only it and what it skipped', async (ctx) => {
  const failed = await cli(ctx, ['run', '--file', 'flaky.yml', '--follow', '--env', `MARKERS=${ctx.markers}`]);
  assert.is(failed.code, 1, shown(failed));
  const id = idOf(failed);
  assert.match(failed.stdout, /^unit {4}failed \S+: exited 3$/m);
  assert.match(failed.stdout, /^ {2}step 0 "unit tests" exited 3; its output: jobmesh logs [0-9a-f-]{36} --step 0$/m);
  assert.match(failed.stdout, /^report {2}skipped: needs unit \(failed\)$/m);
  assert.match(failed.stdout, `\npipeline ${id} failed (`);
  const stepLog = /jobmesh logs ([0-9a-f-]{36}) --step 0/.exec(failed.stdout)![1]!;
  assert.is((await cli(ctx, ['logs', stepLog, '--step', '0'])).stdout, 'not fixed yet\n');
  const tree = await cli(ctx, ['pipeline', id]);
  assert.match(tree.stdout, /^unit\s+failed\s+1\s+\S+\s+[0-9a-f-]{36}\s+exited 3\n {2}· 0 unit tests\s+failed\s+\S+\s+exit 3$/m);
  assert.match(tree.stdout, /^└─ report\s+skipped\s+0\s+-\s+-\s+needs: lint, unit; needs unit \(failed\)$/m);

  await writeFile(join(ctx.markers, 'fixed'), '');
  const retried = await cli(ctx, ['retry', id, '--failed', '--follow']);
  assert.is(retried.code, 0, shown(retried));
  assert.match(retried.stdout, `pipeline ${id}: attempt 2 runs its failed, cancelled and skipped jobs again`);
  assert.match(retried.stdout, /^unit {4}succeeded /m);
  assert.match(retried.stdout, /^report {2}succeeded /m);
  assert.not.match(retried.stdout, /^lint /m);
  const after = JSON.parse((await cli(ctx, ['pipeline', id, '--json'])).stdout) as { attempt: number; jobs: Array<{ key: string; runs: number }> };
  assert.is(after.attempt, 2);
  assert.equal(after.jobs.map((j) => [j.key, j.runs]), [['lint', 1], ['unit', 2], ['report', 1]]);
  const nothing = await cli(ctx, ['retry', id, '--failed']);
  assert.is(nothing.code, 1);
  assert.match(nothing.stderr, 'FAILED_PRECONDITION');
});

test.run();
