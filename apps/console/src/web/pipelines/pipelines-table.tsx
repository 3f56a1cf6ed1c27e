import type { PipelineView } from '../../shared/api-types.ts';
import { Link, navigate } from '../router/router.tsx';
import { between, formatDuration, formatTime, short } from '../ui/format.ts';
import { StateBadge } from '../ui/state-badge.tsx';
import { rowKeys } from '../ui/use-row-keys.tsx';

/** The pipelines of one page; rows are reached with Tab or the arrow keys, Enter opens one. */
export function PipelinesTable(props: { pipelines: PipelineView[] }) {
  const { pipelines } = props;
  const open = (i: number) => pipelines[i] && navigate(`/pipelines/${pipelines[i]!.id}`);
  return (
    <div class="table-wrap">
      <table aria-label="Pipelines" aria-rowcount={pipelines.length}>
        <thead>
          <tr>
            <th scope="col">State</th>
            <th scope="col">Pipeline</th>
            <th scope="col">Attempt</th>
            <th scope="col" class="wide">Repository</th>
            <th scope="col">Commit</th>
            <th scope="col" class="wide">Manifest</th>
            <th scope="col" class="wide">Created</th>
            <th scope="col">Duration</th>
          </tr>
        </thead>
        <tbody onKeyDown={rowKeys(open)}>
          {pipelines.length === 0 && <tr><td colSpan={8} class="empty">No pipelines match.</td></tr>}
          {pipelines.map((pipeline) => (
            <tr key={pipeline.id} data-row data-pipeline-id={pipeline.id} data-state={pipeline.state} tabIndex={0} onClick={() => navigate(`/pipelines/${pipeline.id}`)}>
              <td><StateBadge state={pipeline.state} /></td>
              <td><Link href={`/pipelines/${pipeline.id}`} tabIndex={-1}><code>{short(pipeline.id)}</code></Link></td>
              <td>{pipeline.attempt}</td>
              <td class="wide truncate" title={pipeline.repoUrl}>{pipeline.repoUrl}</td>
              <td><code title={pipeline.commitSha}>{short(pipeline.commitSha, 10)}</code></td>
              <td class="wide"><code>{pipeline.manifestPath || '.jobmesh.yml'}</code></td>
              <td class="wide">{formatTime(pipeline.createdAt)}</td>
              <td>{formatDuration(between(pipeline.createdAt, pipeline.finishedAt))}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
