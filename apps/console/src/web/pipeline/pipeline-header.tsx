import type { PipelineView } from '../../shared/api-types.ts';
import { Link } from '../router/router.tsx';
import { between, formatDuration, formatTime } from '../ui/format.ts';
import { Facts, type Fact } from '../ui/facts.tsx';
import { StateBadge } from '../ui/state-badge.tsx';

/** The facts of a pipeline: state, attempt, repository, commit, manifest, times, trace id, error. */
export function PipelineHeader(props: { pipeline: PipelineView }) {
  const { pipeline } = props;
  const facts: Fact[] = [
    ['State', <StateBadge state={pipeline.state} />],
    ['Attempt', pipeline.attempt],
    ['Repository', <span class="truncate" title={pipeline.repoUrl}>{pipeline.repoUrl}</span>],
    ['Commit', <code>{pipeline.commitSha}</code>],
    ['Manifest', <code>{pipeline.manifestPath || '.jobmesh.yml'}</code>],
    ['Submitted', formatTime(pipeline.createdAt)],
    ['Last change', formatTime(pipeline.updatedAt)],
    ['Finished', pipeline.finishedAt ? formatTime(pipeline.finishedAt) : '—'],
    ['Duration', formatDuration(between(pipeline.createdAt, pipeline.finishedAt)) + (pipeline.finishedAt ? '' : ' so far')],
    ['Trace id', <code>{pipeline.traceId || '—'}</code>],
    ['Operation', pipeline.operationId ? <Link href={`/operations/${pipeline.operationId}`}><code>{pipeline.operationId.slice(0, 8)}</code> timeline</Link> : '—'],
  ];
  return <Facts facts={facts} error={pipeline.error} />;
}
