import { useState } from 'preact/hooks';
import { navigate } from '../router/router.tsx';
import { useSession } from '../session/session-context.tsx';
import { ErrorNote } from '../ui/error-note.tsx';
import { useAction } from '../ui/use-action.tsx';

/**
 * Runs a repository's pipeline (SubmitPipeline; submit role): repository URL, commit and
 * manifest path. A manifest with mistakes is refused with every problem listed. One request id
 * per filled-in form, so a double click starts one pipeline.
 */
export function SubmitPipelineForm() {
  const { api } = useSession();
  const [fields, setFields] = useState({ repoUrl: '', commitSha: '', manifestPath: '' });
  const [requestId, setRequestId] = useState(() => crypto.randomUUID());
  const { busy, error, run } = useAction();
  const field = (name: keyof typeof fields, label: string, extra: { placeholder?: string; required?: boolean; size?: number }) => (
    <label>
      {label}{' '}
      <input name={name} value={fields[name]} {...extra} onInput={(e) => (setFields({ ...fields, [name]: (e.target as HTMLInputElement).value }), setRequestId(crypto.randomUUID()))} />
    </label>
  );
  return (
    <details class="submit-pipeline">
      <summary>Run a pipeline</summary>
      <form
        class="filters"
        aria-label="Run a pipeline"
        onSubmit={(event) => {
          event.preventDefault();
          void run(async () => navigate(`/pipelines/${(await api.submitPipeline({ ...fields, requestId })).id}`));
        }}
      >
        {field('repoUrl', 'Repository URL', { placeholder: 'https://… or file:///…', required: true, size: 36 })}
        {field('commitSha', 'Commit', { placeholder: '40 hex digits', required: true, size: 24 })}
        {field('manifestPath', 'Manifest', { placeholder: '.jobmesh.yml', size: 16 })}
        <button type="submit" disabled={busy}>Run pipeline</button>
      </form>
      <ErrorNote error={error} />
    </details>
  );
}
