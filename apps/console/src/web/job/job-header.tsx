import type { JobView } from '../../shared/api-types.ts';
import { Link } from '../router/router.tsx';
import { between, formatDuration, formatTime } from '../ui/format.ts';
import { Facts, type Fact } from '../ui/facts.tsx';
import { StateBadge } from '../ui/state-badge.tsx';

/** The facts of a job: state, exit code, repository, commit, label, timings, trace id. */
export function JobHeader(props: { job: JobView }) {
  const { job } = props;
  const facts: Fact[] = [
    ['State', <StateBadge state={job.state} />],
    ['Exit code', job.exitCode ?? '—'],
    ['Repository', <span class="truncate" title={job.repoUrl}>{job.repoUrl}</span>],
    ['Commit', <code>{job.commitSha}</code>],
    ['Label', job.label],
    ...(job.queuePosition !== null ? [['Queue position', `#${job.queuePosition} in ${job.label}`] as Fact] : []),
    ['Submitted', formatTime(job.createdAt)],
    ['Last change', formatTime(job.updatedAt)],
    ['Finished', job.finishedAt ? formatTime(job.finishedAt) : '—'],
    ['Duration', formatDuration(between(job.createdAt, job.finishedAt)) + (job.finishedAt ? '' : ' so far')],
    ['Timeout', formatDuration(job.timeoutMs)],
    ['Trace id', <code>{job.traceId || '—'}</code>],
    ...(job.pipelineId ? [['Pipeline', <Link href={`/pipelines/${job.pipelineId}`}><code>{job.pipelineId}</code></Link>] as Fact] : []),
  ];
  return (
    <>
      <Facts facts={facts} error={job.error} />
      <details class="script">
        <summary>Script{job.artifactPatterns.length ? ' and artifact patterns' : ''}</summary>
        <pre>{job.script}</pre>
        {job.artifactPatterns.length > 0 && <p>Artifacts ({job.artifactWhen.replace('_', ' ')}): {job.artifactPatterns.map((p) => <code key={p}>{p} </code>)}</p>}
      </details>
    </>
  );
}
