import { useState } from 'preact/hooks';
import type { PipelineJobView, PipelineView } from '../../shared/api-types.ts';
import { Link, navigate } from '../router/router.tsx';
import { useSession } from '../session/session-context.tsx';
import { ErrorNote } from '../ui/error-note.tsx';
import { short } from '../ui/format.ts';
import { useLive } from '../ui/use-live.tsx';
import { NeverRanPanel } from './never-ran-panel.tsx';
import { PipelineActions } from './pipeline-actions.tsx';
import { PipelineGraph } from './pipeline-graph.tsx';
import { PipelineHeader } from './pipeline-header.tsx';
import { WaitingApprovals } from './waiting-approvals.tsx';

/**
 * A pipeline, kept live by WatchPipeline: its header, actions, the block steps waiting for an
 * approval, and its jobs as a graph. Opening a node opens its job's page (log and steps); a job
 * that never ran shows why here instead.
 */
export function PipelinePage(props: { id: string }) {
  const { api } = useSession();
  const live = useLive<PipelineView>((onPipeline, onError, signal) => api.livePipeline(props.id, onPipeline, onError, signal), [api, props.id]);
  const pipeline = live.value;
  const [shown, setShown] = useState<string | null>(null);
  const open = (job: PipelineJobView) => (job.jobId ? navigate(`/jobs/${job.jobId}`) : setShown(job.key));
  const shownJob = pipeline?.jobs.find((job) => job.key === shown && !job.jobId);

  return (
    <main class="page pipeline-page" id="main">
      <div class="page-head">
        <h1>Pipeline <code>{short(props.id)}</code></h1>
        <span class="live" role="status">{live.paused ? `live updates paused: ${live.paused.message}` : pipeline ? 'live' : 'connecting…'}</span>
        <nav class="subnav" aria-label="Related"><Link href="/pipelines">All pipelines</Link></nav>
      </div>
      <ErrorNote error={live.error} />
      {pipeline && (
        <>
          <PipelineHeader pipeline={pipeline} />
          <PipelineActions pipeline={pipeline} onChanged={live.setValue} />
          <WaitingApprovals pipeline={pipeline} />
          <h2>Jobs <span class="muted">({pipeline.jobs.length}; Enter or a click opens one)</span></h2>
          <PipelineGraph jobs={pipeline.jobs} onOpen={open} />
          {shownJob && <NeverRanPanel pipeline={pipeline} job={shownJob} onClose={() => setShown(null)} />}
        </>
      )}
    </main>
  );
}
