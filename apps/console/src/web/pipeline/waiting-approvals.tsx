import type { PipelineView } from '../../shared/api-types.ts';
import { ApproveButton } from './approve-button.tsx';

/** The block steps waiting for an approval now (their jobs are `blocked`), each with its Approve button. */
export function WaitingApprovals(props: { pipeline: PipelineView }) {
  const waiting = props.pipeline.jobs.flatMap((job) => (job.state === 'blocked' ? job.steps.filter((s) => s.kind === 'block' && s.state === 'running').map((step) => ({ job, step })) : []));
  if (!waiting.length) return null;
  return (
    <section class="approvals" aria-label="Waiting for approval">
      <h2>Waiting for approval</h2>
      <ul>
        {waiting.map(({ job, step }) => (
          <li key={`${job.key}/${step.index}`} data-approval={`${job.key}/${step.name}`}>
            <span><strong>{job.name}</strong>: <q>{step.prompt || step.name}</q></span> <ApproveButton pipelineId={props.pipeline.id} job={job} step={step} />
          </li>
        ))}
      </ul>
    </section>
  );
}
