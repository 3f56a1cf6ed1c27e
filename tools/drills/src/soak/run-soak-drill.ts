import { randomUUID } from 'node:crypto';
import { SubmitJobRequest } from '@jobmesh/contracts/jobmesh/orchestrator/v1/jobs.ts';
import { JobState, VmState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { makeGitRepo, startTestMesh, type ServiceName, type TestMesh } from '@jobmesh/orchestrator/testing';
import { countLeftovers } from '../count-leftovers.ts';
import type { DrillResult } from '../drill-result.ts';
import { processStats, type ProcessStats } from '../process-stats.ts';

/** Options of the soak drill. */
export interface SoakOptions {
  /** Minutes of steady load. @default 10 */
  minutes: number;
}

const services: ServiceName[] = ['persistence', 'vm-runner', 'fsops', 'orchestrator'];
const terminal = new Set<number>([JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_CANCELLED, JobState.JOB_STATE_TIMED_OUT]);
/** Open fds a service may gain over the soak (sockets to peers come and go); more is a leak. */
const fdTolerance = 16;
/** Jobs kept in flight at once. */
const inFlight = 4;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Submits one job, follows its log to the end, and waits for its final state. */
async function runOne(mesh: TestMesh, repo: { url: string; commit: string }, n: number): Promise<JobState> {
  const requestId = randomUUID();
  await mesh.api.jobs.submitJob(SubmitJobRequest.fromPartial({ requestId, repoUrl: repo.url, commitSha: repo.commit, runsOn: 'local', script: `echo soak ${n}; exit ${n % 5 === 0 ? 1 : 0}`, timeoutMs: 120_000 }));
  for await (const _chunk of mesh.api.jobs.streamJobLogs({ requestId, fromOffset: 0, follow: true }, { signal: AbortSignal.timeout(120_000) })) { /* drain */ }
  for (const until = Date.now() + 60_000; Date.now() < until; await sleep(200)) {
    const { job } = await mesh.api.jobs.getJob({ requestId });
    if (terminal.has(job!.state)) return job!.state;
  }
  throw new Error(`job ${requestId} did not end`);
}

/**
 * The soak drill: `inFlight` jobs at a time (each followed through its log) for the given
 * minutes; RSS and open fds of every service after a warm-up and at the end. Pass: every job
 * ended as its script says, no VM, VM folder, workspace or staging file left, no VM not
 * destroyed in persistence, and no service gained more than 16 open fds.
 */
export async function runSoakDrill(options: SoakOptions): Promise<DrillResult> {
  const started = Date.now();
  const mesh = await withDeadline(startTestMesh({ localSlots: inFlight }), 180_000, 'mesh up');
  try {
    const repo = await makeGitRepo({ 'README': 'soak\n' });
    let n = 0;
    const wrong: string[] = [];
    const lane = async (until: number) => {
      while (Date.now() < until) {
        const i = n++;
        const state = await runOne(mesh, repo, i).catch((e: unknown) => (wrong.push(String(e)), JobState.JOB_STATE_UNSPECIFIED));
        const expected = i % 5 === 0 ? JobState.JOB_STATE_FAILED : JobState.JOB_STATE_SUCCEEDED;
        if (state !== expected && state !== JobState.JOB_STATE_UNSPECIFIED) wrong.push(`job ${i} ended ${state}, not ${expected}`);
      }
    };
    // Warm-up: lazily made clients, pools and caches exist before the first sample.
    await Promise.all(Array.from({ length: inFlight }, () => lane(Date.now() + 15_000)));
    await sleep(2000);
    const begin: Record<string, ProcessStats | undefined> = Object.fromEntries(services.map((s) => [s, processStats(mesh.pid(s))]));
    const warmJobs = n;
    await Promise.all(Array.from({ length: inFlight }, () => lane(Date.now() + options.minutes * 60_000)));
    await sleep(3000);
    const end: Record<string, ProcessStats | undefined> = Object.fromEntries(services.map((s) => [s, processStats(mesh.pid(s))]));
    const leftovers = await countLeftovers(mesh.dataDir);
    let notDestroyed = 0;
    for (let token = '', page = 0; page < 100; page++) {
      const r = await mesh.store.vms.listVms({ states: [], jobRequestId: '', host: '', pageSize: 500, pageToken: token });
      notDestroyed += r.vms.filter((vm) => vm.state !== VmState.VM_STATE_DESTROYED).length;
      if (!(token = r.nextPageToken)) break;
    }
    const problems = [...wrong.slice(0, 10)];
    const leaks = leftovers.processes + leftovers.vmDirs + leftovers.workspaces + leftovers.stagingFiles + notDestroyed;
    if (leaks > 0) problems.push(`leaked: ${JSON.stringify({ ...leftovers, vmsNotDestroyed: notDestroyed })}`);
    for (const s of services) {
      if (!begin[s] || !end[s]) problems.push(`${s} is gone`);
      else if (end[s].openFds - begin[s].openFds > fdTolerance) problems.push(`${s} open fds grew ${begin[s].openFds} → ${end[s].openFds}`);
    }
    return {
      drill: 'soak',
      passed: problems.length === 0,
      figures: {
        minutes: options.minutes,
        'jobs run (after warm-up)': n - warmJobs,
        'jobs ended wrong': wrong.length,
        'leaked VMs (processes, folders, not destroyed)': leftovers.processes + leftovers.vmDirs + notDestroyed,
        'leaked workspaces': leftovers.workspaces,
        'leaked staging files': leftovers.stagingFiles,
        seconds: Math.round((Date.now() - started) / 1000),
      },
      tables: { 'per service (start → end)': services.map((s) => ({ service: s, 'RSS MiB start': begin[s]?.rssMiB ?? '-', 'RSS MiB end': end[s]?.rssMiB ?? '-', 'fds start': begin[s]?.openFds ?? '-', 'fds end': end[s]?.openFds ?? '-' })) },
      problems,
    };
  } finally {
    await mesh.stop().catch(() => undefined);
  }
}
