import type { PipelineJobView, PipelineView } from '../../shared/api-types.ts';
import { StateBadge } from '../ui/state-badge.tsx';
import { ApproveButton } from './approve-button.tsx';

const why: Record<string, string> = {
  pending: 'It waits for the jobs it needs.',
  blocked: 'Its needs are met; it waits for the approval of a block step (no VM is booted meanwhile).',
  skipped: 'It never ran: a job it needs did not end as its condition asks.',
  cancelled: 'It never ran: the pipeline was cancelled first.',
};

/**
 * A job of the pipeline that has no run to open (pending, blocked, skipped, or cancelled before
 * it started): why, what it needs, and its steps; a block step not yet approved can be approved
 * here (ahead of time too: the approval is kept) while the pipeline runs.
 */
export function NeverRanPanel(props: { pipeline: PipelineView; job: PipelineJobView; onClose: () => void }) {
  const { pipeline, job } = props;
  return (
    <section class="never-ran" aria-label={`Job ${job.name}`}>
      <h2>{job.name} <StateBadge state={job.state} /></h2>
      <p>{why[job.state] ?? 'It has not run.'}{job.reason && <> Reason: <strong class="reason">{job.reason}</strong></>}</p>
      <p class="muted">
        Needs: {job.needs.length ? job.needs.join(', ') : 'nothing'} · runs when: {job.condition || 'success'}() · label {job.label}
        {job.concurrency && ` · concurrency group ${job.concurrency}`}
      </p>
      <ol class="panel-steps">
        {job.steps.map((step) => (
          <li key={step.index}>
            <StateBadge state={step.state} /> {step.kind === 'block' ? <>block: <q>{step.prompt || step.name}</q></> : <code>{step.name}</code>}
            {step.approvedBy && <span class="muted"> approved by {step.approvedBy}</span>}
            {step.kind === 'block' && step.state !== 'succeeded' && pipeline.state === 'running' && (
              <> <ApproveButton pipelineId={pipeline.id} job={job} step={step} /></>
            )}
          </li>
        ))}
      </ol>
      <button type="button" class="link" onClick={props.onClose}>close</button>
    </section>
  );
}
