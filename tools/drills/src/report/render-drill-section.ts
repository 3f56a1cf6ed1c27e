import type { DrillResult } from '../drill-result.ts';

const what: Record<DrillResult['drill'], string> = {
  chaos: 'Jobs of every outcome while a driver SIGKILLs a random service every few seconds and restarts it, and restarts Postgres twice. Pass: every job terminal as its script says, run exactly once (marker files), one VM per job, nothing left behind, logs without gaps or duplicates.',
  fuzz: 'Every RPC of every jobmesh service (found through reflection) called with generated bad inputs. Pass: no INTERNAL or UNKNOWN, no crash, no unhandled rejection in any log, no row written by a refused call.',
  load: 'Concurrent SubmitJob callers and WatchJob/StreamJobLogs followers against the queue limit (JOBMESH_MAX_QUEUED_JOBS). Pass: past the limit RESOURCE_EXHAUSTED with a retry hint, no other failure, no crash, bounded memory.',
  hosts: 'Several VM hosts (each a vm-runner and the fsops sharing its workspace root, own ports and folders, one artifact root) and two orchestrator replicas drain one pipeline; once a third of its jobs ended, host 1 is SIGKILLed with every process of its folder. Pass: the pipeline succeeds, each job cut by the kill failed with HOST_LOST and ran again on another host (its `retry`), no job ran twice at once (marker times), nothing started on the dead host afterwards.',
  soak: 'Steady load for the given minutes. Pass: no leaked VMs or workspaces, open fds back to their start level; RSS at start and end per service.',
};

/** One drill's section of RELIABILITY.md: what it does, its figures and its tables. */
export function renderDrillSection(result: DrillResult): string {
  const lines = [`## ${result.drill} (${result.passed ? 'pass' : 'FAIL'})`, '', what[result.drill], '', '| figure | value |', '|---|---|'];
  for (const [name, value] of Object.entries(result.figures)) lines.push(`| ${name} | ${value} |`);
  for (const [name, rows] of Object.entries(result.tables ?? {})) {
    if (rows.length === 0) continue;
    const columns = Object.keys(rows[0]!);
    lines.push('', `${name}:`, '', `| ${columns.join(' | ')} |`, `|${columns.map(() => '---').join('|')}|`);
    for (const row of rows) lines.push(`| ${columns.map((c) => row[c] ?? '').join(' | ')} |`);
  }
  if (result.problems.length) lines.push('', 'Problems:', '', ...result.problems.map((p) => `- ${p}`));
  return `${lines.join('\n')}\n`;
}
