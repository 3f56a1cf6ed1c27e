import { useState } from 'preact/hooks';
import { Link, navigate } from '../router/router.tsx';
import { useSession } from '../session/session-context.tsx';
import { ErrorNote } from '../ui/error-note.tsx';
import { formatTime, short } from '../ui/format.ts';
import { StateBadge } from '../ui/state-badge.tsx';
import { useRead } from '../ui/use-read.tsx';
import { rowKeys } from '../ui/use-row-keys.tsx';

/** VMs (label, backend, accelerator, state, job), refreshed every 2 s, and each label's capacity per vm-runner. */
export function VmsPage() {
  const { api } = useSession();
  const [cursor, setCursor] = useState('');
  const { value: page, error } = useRead((signal) => api.vms(cursor, signal), [api, cursor], () => 2000);

  const vms = page?.vms ?? [];
  return (
    <main class="page" id="main">
      <h1>VMs</h1>
      <ErrorNote error={error} />
      <h2>Capacity by label</h2>
      {page?.unreachable.length ? <p class="error" role="note">vm-runners not answering: {page.unreachable.join('; ')}</p> : null}
      <div class="table-wrap">
        <table aria-label="Labels and their capacity">
          <thead><tr><th scope="col">Label</th><th scope="col">Host</th><th scope="col">Backend</th><th scope="col">Slots in use</th><th scope="col">Available</th><th scope="col">Accelerator</th></tr></thead>
          <tbody>
            {page?.labels.map((label) => (
              <tr key={`${label.host}/${label.name}`}>
                <td>{label.name}{label.aliases.length ? <span class="muted"> ({label.aliases.join(', ')})</span> : ''}</td>
                <td>{label.host}</td>
                <td>{label.backend}</td>
                <td>
                  <meter min={0} max={Math.max(1, label.slotsTotal)} value={label.slotsInUse} aria-label={`${label.slotsInUse} of ${label.slotsTotal} slots in use`} />{' '}
                  {label.slotsInUse} / {label.slotsTotal}
                </td>
                <td>{label.unavailableReason ? <span class="error-text" title={label.unavailableReason}>no: {label.unavailableReason}</span> : 'yes'}</td>
                <td title={label.acceleratorReason}>{label.accelerator || '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>Machines</h2>
      <div class="table-wrap">
        <table aria-label="VMs">
          <thead><tr><th scope="col">VM</th><th scope="col">Label</th><th scope="col">Backend</th><th scope="col">Accelerator</th><th scope="col">State</th><th scope="col">Job</th><th scope="col" class="wide">Host</th><th scope="col" class="wide">Last event</th></tr></thead>
          <tbody onKeyDown={rowKeys((i) => vms[i] && navigate(`/jobs/${vms[i]!.jobId}`))}>
            {page && vms.length === 0 && <tr><td colSpan={8} class="empty">No VMs yet.</td></tr>}
            {vms.map((vm) => (
              <tr key={vm.id} data-row tabIndex={0}>
                <td><code title={vm.id}>{short(vm.id)}</code></td>
                <td>{vm.label}</td>
                <td>{vm.backend}</td>
                <td>{vm.accelerator || '—'}</td>
                <td><StateBadge state={vm.state} /></td>
                <td>{vm.jobId ? <Link href={`/jobs/${vm.jobId}`} tabIndex={-1}><code>{short(vm.jobId)}</code></Link> : ''}</td>
                <td class="wide">{vm.host}</td>
                <td class="wide">{formatTime(vm.lastEventAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled={!cursor} onClick={() => setCursor('')}>← Newest</button>
        <button type="button" disabled={!page?.nextCursor} onClick={() => setCursor(page!.nextCursor)}>Older →</button>
      </nav>
    </main>
  );
}
