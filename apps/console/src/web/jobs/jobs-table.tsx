import type { JobView } from '../../shared/api-types.ts';
import { navigate, Link } from '../router/router.tsx';
import { formatDuration, formatTime, between, short } from '../ui/format.ts';
import { StateBadge } from '../ui/state-badge.tsx';
import { rowKeys } from '../ui/use-row-keys.tsx';

/** The jobs of one page; rows are reached with Tab or the arrow keys, Enter opens, Space selects (when selecting is allowed). */
export function JobsTable(props: { jobs: JobView[]; selected: Set<string> | null; onToggle: (id: string) => void }) {
  const { jobs, selected } = props;
  const open = (i: number) => jobs[i] && navigate(`/jobs/${jobs[i]!.id}`);
  const toggle = (i: number) => jobs[i] && selected && props.onToggle(jobs[i]!.id);
  return (
    <div class="table-wrap">
      <table class="jobs" aria-label="Jobs" aria-rowcount={jobs.length}>
        <thead>
          <tr>
            {selected && <th scope="col"><span class="visually-hidden">Select</span></th>}
            <th scope="col">State</th>
            <th scope="col">Job</th>
            <th scope="col" class="wide">Repository</th>
            <th scope="col">Commit</th>
            <th scope="col">Label</th>
            <th scope="col">Queue</th>
            <th scope="col" class="wide">Created</th>
            <th scope="col">Duration</th>
            <th scope="col">Exit</th>
          </tr>
        </thead>
        <tbody onKeyDown={rowKeys(open, toggle)}>
          {jobs.length === 0 && <tr><td colSpan={10} class="empty">No jobs match.</td></tr>}
          {jobs.map((job) => (
            <tr key={job.id} data-row data-job-id={job.id} data-state={job.state} tabIndex={0} aria-selected={selected ? selected.has(job.id) : undefined}>
              {selected && (
                <td>
                  <input type="checkbox" tabIndex={-1} checked={selected.has(job.id)} onChange={() => props.onToggle(job.id)} aria-label={`Select job ${short(job.id)}`} />
                </td>
              )}
              <td><StateBadge state={job.state} /></td>
              <td><Link href={`/jobs/${job.id}`} tabIndex={-1}><code>{short(job.id)}</code></Link></td>
              <td class="wide truncate" title={job.repoUrl}>{job.repoUrl}</td>
              <td><code title={job.commitSha}>{short(job.commitSha, 10)}</code></td>
              <td>{job.label}</td>
              <td>{job.queuePosition !== null ? <span title="position in its label's queue">#{job.queuePosition}</span> : ''}</td>
              <td class="wide">{formatTime(job.createdAt)}</td>
              <td>{formatDuration(between(job.createdAt, job.finishedAt))}</td>
              <td>{job.exitCode ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
