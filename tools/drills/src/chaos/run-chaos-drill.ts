import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SubmitJobRequest } from '@jobmesh/contracts/jobmesh/orchestrator/v1/jobs.ts';
import { JobState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { makeGitRepo, startTestMesh } from '@jobmesh/orchestrator/testing';
import type { DrillResult } from '../drill-result.ts';
import { dumpMeshLogs } from '../dump-mesh-logs.ts';
import { startOwnPostgres } from '../own-postgres.ts';
import { retryCall } from '../retry-call.ts';
import { chaosJobMix, type ChaosJob } from './chaos-job-mix.ts';
import { checkChaosOutcome } from './check-chaos-outcome.ts';
import { describeOpenJobs } from './describe-open-jobs.ts';
import { runKillDriver } from './kill-driver.ts';

/** Options of the chaos drill. */
export interface ChaosOptions {
  /** Jobs to run. @default 200 (quick: 30) */
  jobs: number;
  /** Time between two kills, in ms. @default 4000 (quick: 2500) */
  intervalMs: number;
  /** Most kill/restart events. @default 60 (quick: 8) */
  maxEvents: number;
  /** Time the jobs have to end, from the drill's start, in ms. @default 900000 (quick: 180000) */
  budgetMs: number;
  /**
   * Time the jobs have to end once the kills stopped, in ms: on a loaded host restarts take 20 to
   * 40 s, so the kills may run past the budget; the mesh, whole again, must still finish every
   * job in this time (a stall does not). @default 300000 (quick: 90000)
   */
  settleMs: number;
  /** Longest the jobs may take in any case, from the drill's start, in ms. @default 1200000 (quick: 270000) */
  capMs: number;
  /** Events (0-based) at which Postgres restarts instead of a service; early, so the jobs cannot end first. @default [3, 15] (quick: [1, 3]) */
  postgresAt: number[];
  /** Slots of the process backend label. @default 8 (quick: 4) */
  slots: number;
}

/** Defaults of the full and the quick drill. */
export const chaosDefaults = (quick: boolean): ChaosOptions =>
  quick
    ? { jobs: 30, intervalMs: 2500, maxEvents: 8, budgetMs: 180_000, settleMs: 90_000, capMs: 270_000, postgresAt: [1, 3], slots: 4 }
    : { jobs: 200, intervalMs: 4000, maxEvents: 60, budgetMs: 900_000, settleMs: 300_000, capMs: 1_200_000, postgresAt: [3, 15], slots: 8 };

const terminal = new Set<number>([JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_CANCELLED, JobState.JOB_STATE_TIMED_OUT]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The chaos drill: jobs of every outcome on the process backend while services are
 * SIGKILLed and restarted and Postgres restarts twice; then every job must be terminal as
 * its script says, have run exactly once, and have left nothing behind.
 */
export async function runChaosDrill(options: ChaosOptions): Promise<DrillResult> {
  const started = Date.now();
  const postgres = await startOwnPostgres();
  const mesh = await withDeadline(startTestMesh({ localSlots: options.slots, leaseMs: 1500, database: postgres.database }), 180_000, 'mesh up');
  const meshUpAt = Date.now();
  const markers = await mkdtemp(join(tmpdir(), 'jobmesh-chaos-markers-'));
  try {
    const repo = await makeGitRepo({ 'README': 'chaos\n' });
    const jobs = chaosJobMix(options.jobs, markers, randomUUID);
    let finish!: () => void;
    const allDone = new Promise<void>((resolve) => (finish = resolve));
    let killsDoneAt: number | undefined;
    const driver = runKillDriver(mesh, postgres, { intervalMs: options.intervalMs, maxEvents: options.maxEvents, postgresAt: options.postgresAt, stop: allDone, random: Math.random });

    // Submissions go on while services die: each is retried (idempotent by its request id).
    const submitTimeoutMs = Math.min(options.budgetMs, 120_000);
    const submit = (job: ChaosJob) => retryCall(() => mesh.api.jobs.submitJob(SubmitJobRequest.fromPartial({ requestId: job.requestId, repoUrl: repo.url, commitSha: repo.commit, runsOn: 'local', script: job.script, env: {}, timeoutMs: job.timeoutMs, artifactPatterns: [] }), { deadlineMs: 5000 }), { timeoutMs: submitTimeoutMs });
    const submitFailures: string[] = [];
    // Each job of the cancel kind is cancelled 2 to 5 s after its own submission, once it had time
    // to start (some are still queued: both must end cancelled); waiting for every submission
    // first kept them running their `sleep 120` on a slot the other jobs waited for.
    const cancels: Promise<void>[] = [];
    // Handled at once: a cancel failing while submissions still go on must not be an unhandled rejection.
    const cancelLater = (job: ChaosJob) => (async () => {
      await sleep(2000 + Math.random() * 3000);
      await retryCall(() => mesh.api.jobs.cancelJob({ requestId: job.requestId, reason: 'chaos drill' }, { deadlineMs: 5000 }), { timeoutMs: submitTimeoutMs });
    })().catch((error: unknown) => void submitFailures.push(`cancel: ${String(error)}`));
    for (let i = 0; i < jobs.length; i += 10) {
      const batch = jobs.slice(i, i + 10);
      const results = await Promise.allSettled(batch.map(submit));
      results.forEach((r, k) => {
        if (r.status === 'rejected') submitFailures.push(String(r.reason));
        else if (batch[k]!.kind === 'cancel') cancels.push(cancelLater(batch[k]!));
      });
    }
    await Promise.all(cancels);

    const open = new Set(jobs.map((j) => j.requestId));
    void driver.then(() => (killsDoneAt = Date.now()), () => (killsDoneAt = Date.now()));
    const until = () => Math.min(started + options.capMs, Math.max(started + options.budgetMs, (killsDoneAt ?? Infinity) + options.settleMs));
    while (open.size > 0 && Date.now() < until()) {
      // All at once: one by one, a persistence restart cost each open job its whole deadline in turn.
      await Promise.all([...open].map(async (id) => {
        const job = await mesh.store.jobs.getJob({ requestId: id }, { deadlineMs: 3000 }).then((r) => r.job, () => undefined);
        if (job && terminal.has(job.state)) open.delete(id);
      }));
      if (open.size > 0) await sleep(1000);
    }
    const jobsEndedAt = Date.now();
    // A stall is read from what persistence holds before the mesh goes: each open job's workflow and the VMs holding slots.
    const stuck = open.size > 0 ? await describeOpenJobs(mesh, [...open]) : [];
    finish();
    const kills = await driver;
    // Clean-up steps of the last jobs may still be finishing after a late kill.
    await sleep(3000);
    const outcome = await retryCall(() => checkChaosOutcome(mesh, jobs), { timeoutMs: 30_000, intervalMs: 1000 });
    const problems = [...submitFailures.map((f) => `submit/cancel failed: ${f.slice(0, 300)}`), ...kills.restartFailures.map((f) => `restart failed: ${f}`)];
    if (open.size > 0) problems.push(`${open.size} jobs not terminal after ${Math.round((jobsEndedAt - started) / 1000)} s (${killsDoneAt ? `${Math.round((jobsEndedAt - killsDoneAt) / 1000)} s after the last kill` : 'the kills still going on'})`);
    if (kills.postgresRestarts < 2 && open.size === 0) problems.push(`Postgres restarted ${kills.postgresRestarts} times, not 2: the jobs ended first (raise jobs or lower the interval)`);
    problems.push(...outcome.problems);
    const totalKills = Object.values(kills.kills).reduce((a, b) => a + b, 0);
    if (problems.length) problems.push(`service logs and the kill timeline: ${await dumpMeshLogs(mesh, 'chaos', [...kills.timeline, ...stuck])}`);
    return {
      drill: 'chaos',
      passed: problems.length === 0,
      figures: {
        jobs: jobs.length,
        ...Object.fromEntries(Object.entries(outcome.byState).map(([state, n]) => [`jobs ${state}`, n])),
        'jobs run more than once': outcome.ranTwice,
        'VMs prepared': outcome.vmsPrepared,
        kills: totalKills,
        ...Object.fromEntries(Object.entries(kills.kills).map(([name, n]) => [`kills ${name}`, n])),
        'service restarts': totalKills,
        'Postgres restarts': kills.postgresRestarts,
        'longest service restart (ms)': kills.longestRestartMs,
        'logs with gaps or duplicates': outcome.logGapsOrDuplicates,
        'left: VM processes': outcome.leftovers.processes,
        'left: VM folders': outcome.leftovers.vmDirs,
        'left: workspaces': outcome.leftovers.workspaces,
        'left: staging files': outcome.leftovers.stagingFiles,
        'seconds to start the mesh': Math.round((meshUpAt - started) / 1000),
        'seconds until every job ended': Math.round((jobsEndedAt - meshUpAt) / 1000),
        'seconds': Math.round((Date.now() - started) / 1000),
      },
      problems,
    };
  } finally {
    await mesh.stop().catch(() => undefined);
    await rm(markers, { recursive: true, force: true });
  }
}
