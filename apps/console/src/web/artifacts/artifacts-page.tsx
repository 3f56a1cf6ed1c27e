import { useState } from 'preact/hooks';
import { download } from '../job/job-actions.tsx';
import { Link } from '../router/router.tsx';
import { useSession } from '../session/session-context.tsx';
import { ErrorNote } from '../ui/error-note.tsx';
import { formatBytes, short } from '../ui/format.ts';
import { useRead } from '../ui/use-read.tsx';

/** A job's artifacts (ArtifactService): path, size, mode, SHA-256, each downloadable. */
export function ArtifactsPage(props: { id: string }) {
  const { api } = useSession();
  const [cursor, setCursor] = useState('');
  const { value: page, error: readError } = useRead((signal) => api.artifacts(props.id, cursor, signal), [api, props.id, cursor]);
  const [downloadError, setError] = useState<unknown>(null);
  const error = readError ?? downloadError;

  return (
    <main class="page" id="main">
      <div class="page-head">
        <h1>Artifacts of job <code>{short(props.id)}</code></h1>
        <nav class="subnav" aria-label="Related"><Link href={`/jobs/${props.id}`}>Job and log</Link></nav>
      </div>
      <ErrorNote error={error} />
      {page && !page.collected && <p class="note">No artifacts collected (yet, or never: no patterns, cancelled, or excluded by its artifact rule).</p>}
      {page?.collected && (
        <>
          <p>{page.totalCount} file{page.totalCount === 1 ? '' : 's'}, {formatBytes(page.totalBytes)} · manifest <code title={page.manifestSha256}>{short(page.manifestSha256, 16)}</code></p>
          {page.unmatchedPatterns.length > 0 && <p class="note">Patterns that matched nothing: {page.unmatchedPatterns.map((p) => <code key={p}>{p} </code>)}</p>}
          <div class="table-wrap">
            <table aria-label="Artifacts">
              <thead><tr><th scope="col">Path</th><th scope="col">Size</th><th scope="col">Mode</th><th scope="col" class="wide">SHA-256</th><th scope="col"><span class="visually-hidden">Download</span></th></tr></thead>
              <tbody>
                {page.artifacts.map((a) => (
                  <tr key={a.path}>
                    <td><code>{a.path}</code></td>
                    <td>{formatBytes(a.sizeBytes)}</td>
                    <td><code>{a.mode.toString(8).padStart(4, '0')}</code></td>
                    <td class="wide"><code title={a.sha256}>{short(a.sha256, 16)}</code></td>
                    <td><button type="button" onClick={() => download(api, { kind: 'artifact', jobId: props.id, path: a.path }).catch(setError)}>Download<span class="visually-hidden"> {a.path}</span></button></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <nav class="pager" aria-label="Pages">
            <button type="button" disabled={!cursor} onClick={() => setCursor('')}>← First</button>
            <button type="button" disabled={!page.nextCursor} onClick={() => setCursor(page.nextCursor)}>Next →</button>
          </nav>
        </>
      )}
    </main>
  );
}
