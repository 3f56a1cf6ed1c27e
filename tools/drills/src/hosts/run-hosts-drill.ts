import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PipelineJobState, PipelineState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { makeGitRepo, startTestMesh } from '@jobmesh/orchestrator/testing';
import type { DrillResult } from '../drill-result.ts';
import { dumpMeshLogs } from '../dump-mesh-logs.ts';

/** Options of the multi-host drill. */
export interface HostsOptions {
  /** Jobs (one pipeline: a matrix of `jobs` combinations, each retried after an infrastructure failure). @default 200 (quick: 40) */
  jobs: number;
  /** VM hosts (vm-runner + fsops pairs). @default 3 */
  hosts: number;
  /** Slots of the process label per host. @default 4 */
  slots: number;
  /** Seconds each job runs. @default 2 (quick: 1) */
  jobSeconds: number;
  /** How long a host may be unreachable before its jobs fail with HOST_LOST, in ms. @default 10000 */
  hostLostAfterMs: number;
  /** Longest the drill may take once the mesh is up, in ms. @default 900000 (quick: 300000) */
  budgetMs: number;
}

/** Defaults of the full and the quick drill. */
export const hostsDefaults = (quick: boolean): HostsOptions =>
  quick
    ? { jobs: 40, hosts: 3, slots: 4, jobSeconds: 1, hostLostAfterMs: 10_000, budgetMs: 300_000 }
    : { jobs: 200, hosts: 3, slots: 4, jobSeconds: 2, hostLostAfterMs: 10_000, budgetMs: 900_000 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The manifest: `jobs` combinations of one job on two axes, retried twice after infrastructure failures. */
function manifestOf(jobs: number, jobSeconds: number): string {
  // Two axes of at most 64 values each: b the largest divisor of `jobs` up to 64.
  const b = [...Array(64).keys()].map((i) => 64 - i).find((n) => jobs % n === 0)!;
  const a = jobs / b;
  if (a > 64) throw new Error(`jobs must be a product of two numbers up to 64 (got ${jobs})`);
  const values = (n: number) => `[${Array.from({ length: n }, (_, i) => i).join(', ')}]`;
  return `
jobs:
  work:
    runs_on: local
    retry: 2
    matrix: { a: ${values(a)}, b: ${values(b)} }
    steps:
      - run: |
          echo "start $(date +%s%N) $(pwd)" >> "$MARKERS/$JOBMESH_PIPELINE_JOB"
          sleep ${jobSeconds}
          echo "end $(date +%s%N)" >> "$MARKERS/$JOBMESH_PIPELINE_JOB"
`;
}

/** One run of a job, from its marker file: start, end (undefined when killed) and the workspace (which host). */
interface Run {
  start: bigint;
  end?: bigint;
  workspace: string;
}

function runsOf(text: string): Run[] {
  const runs: Run[] = [];
  for (const line of text.trim().split('\n').filter(Boolean)) {
    const [kind, at, workspace] = line.split(' ');
    if (kind === 'start') runs.push({ start: BigInt(at!), workspace: workspace ?? '' });
    else if (runs.length) runs.at(-1)!.end = BigInt(at!);
  }
  return runs;
}

/**
 * The multi-host drill: `hosts` VM hosts (each a vm-runner and the fsops sharing its workspace
 * root, separate ports and folders) and two orchestrator replicas drain one pipeline of `jobs`
 * jobs; once a third of them ended, host 1 is SIGKILLed with every process of its folder (its
 * running jobs die with it). Pass: the pipeline succeeds; every job succeeded; each job that ran
 * on the killed host failed there with HOST_LOST and ran again on another host; no job ran twice
 * at once (its runs' times in the marker files do not overlap; a killed run ends at the kill); no
 * job ran on the killed host after the kill.
 */
export async function runHostsDrill(options: HostsOptions): Promise<DrillResult> {
  const started = Date.now();
  const mesh = await withDeadline(startTestMesh({ hosts: options.hosts, localSlots: options.slots, leaseMs: 1500, env: { JOBMESH_HOST_LOST_AFTER_MS: String(options.hostLostAfterMs) } }), 240_000, 'mesh up');
  const second = await mesh.addOrchestrator();
  const meshUpAt = Date.now();
  const markers = await mkdtemp(join(tmpdir(), 'jobmesh-hosts-markers-'));
  await chmod(markers, 0o755);
  const problems: string[] = [];
  try {
    const repo = await makeGitRepo({ '.jobmesh.yml': manifestOf(options.jobs, options.jobSeconds) });
    const { pipeline } = await mesh.api.pipelines.submitPipeline({ repoUrl: repo.url, commitSha: repo.commit, manifestPath: '', env: { MARKERS: markers }, secretEnv: {}, requestId: '' });
    const id = pipeline!.id;
    const read = async () => (await mesh.api.pipelines.getPipeline({ id }, { deadlineMs: 10_000 })).pipeline!;
    const ended = (p: Awaited<ReturnType<typeof read>>) => p.jobs.filter((j) => j.state === PipelineJobState.PIPELINE_JOB_STATE_SUCCEEDED || j.state === PipelineJobState.PIPELINE_JOB_STATE_FAILED).length;
    // Kill host 1 once a third of the jobs ended...
    let killedAt = 0n;
    let killedAtMs = 0;
    for (;;) {
      const p = await read();
      if (ended(p) >= options.jobs / 3 || p.state !== PipelineState.PIPELINE_STATE_RUNNING) break;
      if (Date.now() - meshUpAt > options.budgetMs) throw new Error('the jobs did not get going');
      await sleep(200);
    }
    // Then wait (up to a minute) until host 1 holds a job's workspace: the kill must cut work.
    const onHost1 = async () => (await readdir(join(mesh.dataDir, 'host-1', 'workspaces')).catch(() => [])).filter((name) => !name.startsWith('.')).length;
    for (const until = Date.now() + 60_000; (await onHost1()) === 0 && Date.now() < until;) await sleep(50);
    const runningOnHost1 = await onHost1();
    killedAtMs = Date.now();
    // The markers' clock: nanoseconds since the epoch (date +%s%N).
    killedAt = BigInt(killedAtMs) * 1_000_000n;
    await mesh.killHost(1);
    let final = await read();
    while (final.state === PipelineState.PIPELINE_STATE_RUNNING && Date.now() - meshUpAt < options.budgetMs) {
      await sleep(500);
      final = await read().catch(() => final);
    }
    const drainedAt = Date.now();
    if (final.state !== PipelineState.PIPELINE_STATE_SUCCEEDED) problems.push(`the pipeline ended ${final.state} (${final.error}) after ${Math.round((drainedAt - meshUpAt) / 1000)} s`);
    const failedJobs = final.jobs.filter((j) => j.state !== PipelineJobState.PIPELINE_JOB_STATE_SUCCEEDED);
    if (failedJobs.length) problems.push(`${failedJobs.length} jobs did not succeed: ${failedJobs.slice(0, 5).map((j) => `${j.key} ${j.state} ${j.reason}`).join('; ')}`);
    // Each job's runs, from its marker file.
    let rerun = 0;
    let killedRuns = 0;
    let overlaps = 0;
    let afterKillOnHost1 = 0;
    let hostLostErrors = 0;
    const perHost = new Map<string, number>();
    for (const job of final.jobs) {
      const runs = runsOf(await readFile(join(markers, job.key), 'utf8').catch(() => ''));
      if (runs.length === 0) problems.push(`${job.key}: no run recorded`);
      if (runs.length > 1) rerun++;
      for (const [i, run] of runs.entries()) {
        const host = /\/host-(\d+)\//.exec(run.workspace)?.[1];
        const name = host ? `host-${host}` : 'host-0';
        perHost.set(name, (perHost.get(name) ?? 0) + 1);
        if (run.end === undefined) killedRuns++;
        if (name === 'host-1' && run.start > killedAt) afterKillOnHost1++;
        const end = run.end ?? killedAt;
        const next = runs[i + 1];
        if (next && next.start < end) overlaps++;
      }
    }
    // The jobs of the killed host's runs: their errors.
    const { jobs: failedRuns } = await mesh.store.jobs.listJobs({ states: [6 /* FAILED */], runsOn: '', repoUrl: '', pageSize: 500, pageToken: '' });
    hostLostErrors = failedRuns.filter((j) => j.error.includes('HOST_LOST')).length;
    if (overlaps) problems.push(`${overlaps} jobs ran twice at once`);
    if (afterKillOnHost1) problems.push(`${afterKillOnHost1} runs started on the killed host after the kill`);
    // Every failed run failed with HOST_LOST (cut mid-script, or before its script began on the dead host), and each was run again.
    const runAgain = final.jobs.filter((j) => j.runs > 1).length;
    if (failedRuns.length !== hostLostErrors) problems.push(`${failedRuns.length - hostLostErrors} failed runs without HOST_LOST: ${failedRuns.filter((j) => !j.error.includes('HOST_LOST')).slice(0, 3).map((j) => j.error).join('; ')}`);
    if (runAgain !== hostLostErrors) problems.push(`${hostLostErrors} jobs failed with HOST_LOST but ${runAgain} pipeline jobs ran again`);
    if (killedRuns > hostLostErrors) problems.push(`${killedRuns} runs were cut by the kill, only ${hostLostErrors} jobs failed with HOST_LOST`);
    if (rerun > runAgain) problems.push(`${rerun} jobs show several runs in their markers, the pipeline counts ${runAgain}`);
    if (problems.length) problems.push(`service logs: ${await dumpMeshLogs(mesh, 'hosts', [])}`);
    const seconds = (drainedAt - meshUpAt) / 1000;
    return {
      drill: 'hosts',
      passed: problems.length === 0,
      figures: {
        jobs: options.jobs,
        'VM hosts': options.hosts,
        'orchestrator replicas': 2,
        'slots per host': options.slots,
        'seconds per job': options.jobSeconds,
        'workspaces on the killed host at the kill': runningOnHost1,
        'runs cut by the kill': killedRuns,
        'jobs that failed with HOST_LOST': hostLostErrors,
        'jobs run again on another host': final.jobs.filter((j) => j.runs > 1).length,
        'jobs run twice at once': overlaps,
        'runs on the killed host after the kill': afterKillOnHost1,
        ...Object.fromEntries([...perHost].sort().map(([host, n]) => [`runs on ${host}`, n])),
        'JOBMESH_HOST_LOST_AFTER_MS': options.hostLostAfterMs,
        'seconds from the kill to the end': Math.round((drainedAt - killedAtMs) / 1000),
        'seconds to drain (mesh up to pipeline end)': Math.round(seconds),
        'jobs/s': Number((options.jobs / seconds).toFixed(2)),
        seconds: Math.round((Date.now() - started) / 1000),
      },
      problems,
    };
  } finally {
    second.child.kill('SIGKILL');
    await mesh.stop().catch(() => undefined);
    await rm(markers, { recursive: true, force: true });
  }
}
