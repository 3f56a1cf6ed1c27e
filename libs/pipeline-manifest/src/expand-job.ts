import type { JobSpec } from './job-schema.ts';
import { manifestLimits } from './manifest-limits.ts';
import { matrixCombinations, matrixVariable } from './matrix-combinations.ts';
import { interpolateMatrix } from './matrix-expressions.ts';
import type { JobPlan, StepPlan } from './pipeline-plan.ts';
import type { ProblemList } from './problem-list.ts';
import type { YamlLocator } from './yaml-locator.ts';

const labelPattern = new RegExp(`^[A-Za-z0-9._-]{1,${manifestLimits.maxLabelLength}}$`);
const sanitize = (value: string) => value.replace(/[^A-Za-z0-9._-]/g, '_');

/**
 * One planned job per matrix combination (one for a plain job), `needs` left empty for the caller
 * to resolve. Adds the problems only visible after interpolation: a bad runs_on label, step names
 * that clash.
 */
export function expandJob(id: string, spec: JobSpec, locator: Pick<YamlLocator, 'textOf'>, problems: ProblemList): JobPlan[] {
  const at = (...path: Array<string | number>) => ['jobs', id, ...path];
  const axes = Object.entries(spec.matrix ?? {}).map(([axis, values]) => [axis, values.map((value, i) => locator.textOf(at('matrix', axis, i), value))] as const);
  const env = Object.entries(spec.env ?? {}).map(([name, value]) => [name, locator.textOf(at('env', name), value)] as const);
  return matrixCombinations(axes).map((matrix) => {
    const described = Object.entries(matrix).map(([axis, value]) => `${axis}=${value}`).join(', ');
    const runsOn = interpolateMatrix(spec.runs_on, matrix);
    if (!labelPattern.test(runsOn)) problems.add(at('runs_on'), `${JSON.stringify(runsOn)}${described ? ` (for ${described})` : ''} is not a label: 1 to ${manifestLimits.maxLabelLength} of [A-Za-z0-9._-]`);
    const steps = spec.steps.map((step, i): StepPlan => {
      if (step.block !== undefined) return { kind: 'block', name: step.name === undefined ? step.block : interpolateMatrix(step.name, matrix), prompt: step.block };
      return { kind: 'run', name: step.name === undefined ? `step ${i + 1}` : interpolateMatrix(step.name, matrix), run: interpolateMatrix(step.run ?? '', matrix) };
    });
    steps.forEach((step, i) => {
      if (steps.findIndex((other) => other.name === step.name) < i) problems.add(at('steps', i), `step name ${JSON.stringify(step.name)} is already used in this job`);
    });
    return {
      key: [id, ...Object.values(matrix).map(sanitize)].join('-'),
      id,
      name: described ? `${id} (${described})` : id,
      matrix,
      runsOn,
      needs: [],
      if: spec.if === undefined ? 'success' : (spec.if.slice(0, -2) as JobPlan['if']),
      steps,
      env: Object.fromEntries([...env.map(([name, value]) => [name, interpolateMatrix(value, matrix)]), ...Object.entries(matrix).map(([axis, value]) => [matrixVariable(axis), value])]),
      secretEnv: [...(spec.secret_env ?? [])],
      artifacts: { paths: [...(spec.artifacts?.paths ?? [])], when: spec.artifacts?.when ?? 'on_success' },
      timeoutMs: spec.timeout ?? null,
      retry: spec.retry ?? 0,
      concurrency: spec.concurrency ?? null,
    };
  });
}
