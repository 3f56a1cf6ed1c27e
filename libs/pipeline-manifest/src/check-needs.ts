import type { ProblemList } from './problem-list.ts';

/**
 * Checks `needs` across jobs: each id must name another job of the manifest, and the needs may
 * not form a cycle (each cycle is reported once, spelled from its member written first).
 * @param jobs - in manifest order; `needs` undefined when absent or invalid
 */
export function checkNeeds(jobs: ReadonlyArray<{ id: string; needs: readonly string[] | undefined }>, problems: ProblemList): void {
  const order = new Map(jobs.map((job, i) => [job.id, i]));
  const edges = new Map<string, string[]>();
  for (const { id, needs = [] } of jobs) {
    needs.forEach((need, i) => {
      if (need === id) problems.add(['jobs', id, 'needs', i], 'a job cannot need itself');
      else if (!order.has(need)) problems.add(['jobs', id, 'needs', i], `unknown job ${need}`);
    });
    edges.set(id, needs.filter((need) => need !== id && order.has(need)));
  }
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const reported = new Set<string>();
  const visit = (id: string): void => {
    state.set(id, 'open');
    stack.push(id);
    for (const next of edges.get(id) ?? []) {
      if (state.get(next) === 'open') reportCycle(stack.slice(stack.indexOf(next)));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(id, 'done');
  };
  const reportCycle = (members: string[]) => {
    const first = members.reduce((a, b) => ((order.get(a) ?? 0) <= (order.get(b) ?? 0) ? a : b));
    const start = members.indexOf(first);
    const cycle = [...members.slice(start), ...members.slice(0, start), first];
    const text = cycle.join(' -> ');
    if (!reported.has(text)) problems.add(['jobs', first, 'needs'], `cycle ${text}`);
    reported.add(text);
  };
  for (const { id } of jobs) if (!state.has(id)) visit(id);
}
