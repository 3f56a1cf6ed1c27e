import { randomUUID } from 'node:crypto';
import { SubmitJobRequest } from '@jobmesh/contracts/jobmesh/orchestrator/v1/jobs.ts';
import { JobState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { isMeshError, status } from '@jobmesh/grpc-kit';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { makeGitRepo, startTestMesh, type ServiceName } from '@jobmesh/orchestrator/testing';
import type { DrillResult } from '../drill-result.ts';
import { processStats } from '../process-stats.ts';
import { dumpMeshLogs } from '../dump-mesh-logs.ts';

/** Options of the load drill. */
export interface LoadOptions {
  /** Concurrent SubmitJob callers. @default 1000 (quick: 200) */
  submitters: number;
  /** WatchJob + StreamJobLogs followers (half each). @default 200 (quick: 40) */
  followers: number;
}

const services: ServiceName[] = ['persistence', 'vm-runner', 'fsops', 'orchestrator'];
const terminal = new Set<number>([JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_CANCELLED, JobState.JOB_STATE_TIMED_OUT]);
/** Services may grow under load, but not past this (a sign of unbounded buffering). */
const maxRssMiB = 1024;

/**
 * The load drill: all submitters at once against a queue limit of a tenth of them, plus
 * followers of the accepted jobs. Pass: each submission is accepted or refused with
 * RESOURCE_EXHAUSTED QUEUE_FULL carrying a retry hint, nothing else; every follower ends
 * with its job; no service exits or passes 1 GiB RSS.
 */
export async function runLoadDrill(options: LoadOptions): Promise<DrillResult> {
  const started = Date.now();
  const limit = Math.max(10, Math.floor(options.submitters / 10));
  const mesh = await withDeadline(startTestMesh({ localSlots: 4, env: { JOBMESH_MAX_QUEUED_JOBS: String(limit) } }), 180_000, 'mesh up');
  const exits: string[] = [];
  for (const name of services) void mesh.exited(name).then((code) => exits.push(`${name} exited (${code})`));
  try {
    const repo = await makeGitRepo({ 'README': 'load\n' });
    const rssStart = Object.fromEntries(services.map((s) => [s, processStats(mesh.pid(s))?.rssMiB ?? 0]));
    const outcomes = await Promise.all(Array.from({ length: options.submitters }, async () => {
      const requestId = randomUUID();
      try {
        await mesh.api.jobs.submitJob(SubmitJobRequest.fromPartial({ requestId, repoUrl: repo.url, commitSha: repo.commit, runsOn: 'local', script: 'echo loaded', timeoutMs: 600_000 }), { deadlineMs: 60_000 });
        return { requestId, outcome: 'accepted' };
      } catch (error) {
        if (isMeshError(error, status.RESOURCE_EXHAUSTED, 'QUEUE_FULL') && Number(error.facts['retry-after-ms']) > 0) return { requestId, outcome: 'refused with retry hint' };
        return { requestId, outcome: isMeshError(error) ? `${status[error.code]} ${error.reason}` : String(error) };
      }
    }));
    const counts: Record<string, number> = {};
    for (const o of outcomes) counts[o.outcome] = (counts[o.outcome] ?? 0) + 1;
    const accepted = outcomes.filter((o) => o.outcome === 'accepted').map((o) => o.requestId);
    const peak: Record<string, number> = { ...rssStart };
    const sampler = setInterval(() => {
      for (const s of services) peak[s] = Math.max(peak[s]!, processStats(mesh.pid(s))?.rssMiB ?? 0);
    }, 500);
    // Followers: half watch state changes, half follow logs, of the accepted jobs in turn.
    const followerResults = await Promise.all(Array.from({ length: options.followers }, async (_, i) => {
      const requestId = accepted[i % Math.max(1, accepted.length)];
      if (!requestId) return 'no job to follow';
      // Long enough for every accepted job to run on 4 slots of a busy host (300 s cut 110 of 200 followers short).
      const signal = AbortSignal.timeout(1_200_000);
      try {
        if (i % 2 === 0) for await (const _event of mesh.api.jobs.watchJob({ requestId, afterSequence: 0 }, { signal })) { /* drain */ }
        else for await (const _chunk of mesh.api.jobs.streamJobLogs({ requestId, fromOffset: 0, follow: true }, { signal })) { /* drain */ }
        const { job } = await mesh.api.jobs.getJob({ requestId });
        return terminal.has(job!.state) ? 'ended with its job' : `ended early (job ${job!.state})`;
      } catch (error) {
        return isMeshError(error) ? `${status[error.code]} ${error.reason}` : String(error);
      }
    }));
    clearInterval(sampler);
    const followers: Record<string, number> = {};
    for (const r of followerResults) followers[r] = (followers[r] ?? 0) + 1;
    const rssEnd = Object.fromEntries(services.map((s) => [s, processStats(mesh.pid(s))?.rssMiB ?? 0]));
    const problems = [...exits];
    for (const [outcome, n] of Object.entries(counts)) if (outcome !== 'accepted' && outcome !== 'refused with retry hint') problems.push(`${n} submissions ended ${outcome}`);
    for (const [outcome, n] of Object.entries(followers)) if (outcome !== 'ended with its job') problems.push(`${n} followers: ${outcome}`);
    for (const s of services) if (peak[s]! > maxRssMiB) problems.push(`${s} reached ${peak[s]} MiB RSS`);
    if (!counts['refused with retry hint']) problems.push('the queue limit never refused a submission');
    if (problems.length) problems.push(`service logs: ${await dumpMeshLogs(mesh, 'load')}`);
    return {
      drill: 'load',
      passed: problems.length === 0,
      figures: {
        'SubmitJob callers': options.submitters,
        'queue limit (JOBMESH_MAX_QUEUED_JOBS)': limit,
        ...Object.fromEntries(Object.entries(counts).map(([k, n]) => [`submissions ${k}`, n])),
        followers: options.followers,
        ...Object.fromEntries(Object.entries(followers).map(([k, n]) => [`followers ${k}`, n])),
        'message size limit': '16 MiB each way, every server and client (libs/grpc-kit)',
        seconds: Math.round((Date.now() - started) / 1000),
      },
      tables: { 'RSS (MiB) per service': services.map((s) => ({ service: s, start: rssStart[s]!, peak: peak[s]!, end: rssEnd[s]! })) },
      problems,
    };
  } finally {
    await mesh.stop().catch(() => undefined);
  }
}
