import type { JobPlan, PipelinePlan } from './pipeline-plan.ts';

/**
 * Puts expanded jobs in a topological order of their needs (ties: manifest order, then matrix
 * order) and resolves each need on a job id into the keys of all its planned jobs.
 * @param jobs - in manifest order, with acyclic needs on known ids
 */
export function orderPlan(jobs: ReadonlyArray<{ id: string; needs: readonly string[]; plans: readonly JobPlan[] }>): PipelinePlan {
  const keysOf = new Map(jobs.map((job) => [job.id, job.plans.map((plan) => plan.key)]));
  const placed = new Set<string>();
  const ordered: JobPlan[] = [];
  while (placed.size < jobs.length) {
    const next = jobs.find((job) => !placed.has(job.id) && job.needs.every((need) => placed.has(need)));
    if (next === undefined) throw new Error('orderPlan: the needs form a cycle');
    placed.add(next.id);
    const needs = [...new Set(next.needs.flatMap((need) => keysOf.get(need) ?? []))].sort();
    ordered.push(...next.plans.map((plan) => ({ ...plan, needs })));
  }
  return { jobs: ordered };
}
