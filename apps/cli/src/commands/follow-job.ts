import { JobState, LogStream } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import type { Api } from '../create-api.ts';
import { formatJobState } from '../format.ts';
import { createProgressLine } from '../progress-line.ts';

const terminal = new Set<number>([JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_CANCELLED, JobState.JOB_STATE_TIMED_OUT]);

/**
 * Streams a job's log live (stdout to stdout, stderr to stderr) with a state
 * line while nothing prints, then reports the final state.
 * @returns the exit code the CLI should end with: the job's own exit code,
 * 124 for a timeout, 130 for a cancel, 1 for other failures
 */
export async function followJob(api: Api, requestId: string, options: { quiet?: boolean } = {}): Promise<number> {
  const progress = createProgressLine();
  progress.update(`job ${requestId}: waiting`);
  const watching = (async () => {
    for await (const change of api.jobs.watchJob({ requestId, afterSequence: 1 })) {
      progress.update(`job ${requestId}: ${formatJobState(change.change!.toState)}`);
    }
  })().catch(() => undefined);
  for await (const chunk of api.jobs.streamJobLogs({ requestId, fromOffset: 0, follow: true })) {
    progress.clear();
    (chunk.stream === LogStream.LOG_STREAM_STDERR ? process.stderr : process.stdout).write(chunk.data);
  }
  let { job } = await api.jobs.getJob({ requestId });
  for (let i = 0; i < 50 && !terminal.has(job!.state); i++) {
    await new Promise((r) => setTimeout(r, 100));
    ({ job } = await api.jobs.getJob({ requestId }));
  }
  progress.stop();
  await Promise.race([watching, new Promise((r) => setTimeout(r, 100))]);
  if (!options.quiet) {
    const exit = job!.exitCode === undefined ? '' : ` (exit code ${job!.exitCode})`;
    process.stderr.write(`job ${requestId} ${formatJobState(job!.state)}${exit}${job!.error ? `: ${job!.error}` : ''}\n`);
  }
  if (job!.state === JobState.JOB_STATE_SUCCEEDED) return 0;
  if (job!.state === JobState.JOB_STATE_TIMED_OUT) return 124;
  if (job!.state === JobState.JOB_STATE_CANCELLED) return 130;
  return job!.exitCode || 1;
}
