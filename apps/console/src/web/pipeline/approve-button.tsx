import { useState } from 'preact/hooks';
import type { JobStepView, PipelineJobView } from '../../shared/api-types.ts';
import { useSession } from '../session/session-context.tsx';
import { ErrorNote } from '../ui/error-note.tsx';

/**
 * Approves a block step (ApproveStep; admin). Shown only when the orchestrator proved the role:
 * other roles read who may approve instead. The pipeline's live stream shows the result.
 */
export function ApproveButton(props: { pipelineId: string; job: PipelineJobView; step: JobStepView }) {
  const { api, can } = useSession();
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  const [error, setError] = useState<unknown>(null);
  if (!can('admin')) return <span class="muted">an admin token approves it</span>;
  const approve = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.approveStep(props.pipelineId, props.job.key, String(props.step.index));
      setDone(true);
    } catch (e) {
      setError(e);
    }
    setBusy(false);
  };
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
