import { useState } from 'preact/hooks';
import type { JobStepView, PipelineJobView } from '../../shared/api-types.ts';
import { useSession } from '../session/session-context.tsx';
import { ErrorNote } from '../ui/error-note.tsx';
import { useAction } from '../ui/use-action.tsx';

/**
 * Approves a block step (ApproveStep; admin). Shown only when the orchestrator proved the role:
 * other roles read who may approve instead. The pipeline's live stream shows the result.
 */
export function ApproveButton(props: { pipelineId: string; job: PipelineJobView; step: JobStepView }) {
  const { api, can } = useSession();
  const { busy, error, run } = useAction();
  const [done, setDone] = useState(false);
  if (!can('admin')) return <span class="muted">an admin token approves it</span>;
  const approve = () => run(async () => {
    await api.approveStep(props.pipelineId, props.job.key, String(props.step.index));
    setDone(true);
  });
  return (
    <>
      <button type="button" class="approve" disabled={busy || done} onClick={approve}>
        Approve<span class="visually-hidden"> {props.step.name} of {props.job.name}</span>
      </button>
      {done && <span role="status" class="muted">approved</span>}
      <ErrorNote error={error} />
    </>
  );
}
