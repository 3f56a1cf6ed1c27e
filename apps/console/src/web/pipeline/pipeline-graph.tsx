import type { PipelineJobView } from '../../shared/api-types.ts';
import { between, formatDuration } from '../ui/format.ts';
import { stateIcons } from '../ui/state-badge.tsx';
import { rowKeys } from '../ui/use-row-keys.tsx';
import { defaultGraphSizes, layoutGraph } from './layout-graph.ts';

const { nodeWidth, nodeHeight } = defaultGraphSizes;
/** Characters of a name that fit a node at 13 px; a longer one is cut (the full name is its tooltip and accessible name). */
const nameChars = 26;

const cut = (text: string) => (text.length > nameChars ? `${text.slice(0, nameChars - 1)}…` : text);

/** What a node says besides its name: runs and the latest run's duration, or why it never ran. */
function detailOf(job: PipelineJobView): string {
  if (!job.jobId) return job.state === 'blocked' ? 'waits for approval' : job.state === 'pending' ? `waits for ${job.needs.join(', ') || 'a slot'}` : 'never ran';
  const runs = `${job.runs} run${job.runs === 1 ? '' : 's'}`;
  const took = formatDuration(between(job.startedAt, job.finishedAt));
  return took ? `${runs} · ${took}${job.finishedAt ? '' : ' so far'}` : runs;
}

/** A node's accessible name: everything it shows, in words. */
const labelOf = (job: PipelineJobView) =>
  `${job.name}: ${job.state.replace('_', ' ')}, ${detailOf(job)}${job.reason ? `; ${job.reason}` : ''}${job.jobId ? '' : '; show why'}`;

/**
 * The pipeline's jobs as a graph (SVG): a node per job with its name, state (colour, icon and
 * word) and runs and duration; an arrow from each job to the jobs needing it. A node is reached
 * with Tab (↑/↓ move between nodes in plan order) and opened with Enter or a click: `onOpen`.
 */
export function PipelineGraph(props: { jobs: PipelineJobView[]; onOpen: (job: PipelineJobView) => void }) {
  const layout = layoutGraph(props.jobs);
  const states = new Map(props.jobs.map((job) => [job.key, job.state]));
  const open = (index: number) => props.jobs[index] && props.onOpen(props.jobs[index]!);
  return (
    <div class="graph-wrap">
      <svg class="graph" width={layout.width} height={layout.height} viewBox={`0 0 ${layout.width} ${layout.height}`} role="group"
        aria-label="Jobs of this pipeline: each one after the jobs it needs" onKeyDown={rowKeys(open, open)}>
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0 0 L10 5 L0 10 z" class="arrow-head" />
          </marker>
        </defs>
        {layout.edges.map((edge) => (
          <path key={`${edge.from}>${edge.to}`} class={`edge edge-${states.get(edge.from)}`} d={edge.path} marker-end="url(#arrow)" data-edge={`${edge.from}>${edge.to}`} />
        ))}
        {layout.nodes.map(({ node: job, x, y }) => (
          <g key={job.key} class={`node node-${job.state}`} transform={`translate(${x} ${y})`} tabindex={0} data-row data-key={job.key} data-state={job.state}
            role={job.jobId ? 'link' : 'button'} aria-label={labelOf(job)} onClick={() => props.onOpen(job)}>
            <title>{labelOf(job)}</title>
            <rect class="node-box" width={nodeWidth} height={nodeHeight} rx="8" />
            <rect class="node-stripe" width="6" height={nodeHeight} rx="3" />
            <text class="node-name" x="16" y="20">{cut(job.name)}</text>
            <text class="node-state" x="16" y="38" aria-hidden="true">{stateIcons[job.state] ?? '•'} {job.state.replace('_', ' ')}</text>
            <text class="node-detail" x="16" y="55" aria-hidden="true">{cut(detailOf(job))}</text>
          </g>
        ))}
      </svg>
    </div>
  );
}
