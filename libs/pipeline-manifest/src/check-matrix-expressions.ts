import { isMapping } from './is-mapping.ts';
import { findMatrixExpressions } from './matrix-expressions.ts';
import type { ProblemList } from './problem-list.ts';
import type { PathSegment } from './yaml-locator.ts';

/** Where `${{ matrix.<axis> }}` may stand, relative to the job. */
const interpolated = (path: readonly PathSegment[]) =>
  (path.length === 1 && path[0] === 'runs_on') ||
  (path.length === 2 && path[0] === 'env') ||
  (path.length === 3 && path[0] === 'steps' && (path[2] === 'run' || path[2] === 'name'));

/**
 * Checks every `${{ … }}` in a job's strings: only `${{ matrix.<axis> }}` with a known axis, only in
 * runs_on, env values and steps' run and name, and only in a job with a matrix.
 * @param axes - the job's axes, or null when it has no matrix
 */
export function checkMatrixExpressions(job: unknown, jobPath: readonly PathSegment[], axes: readonly string[] | null, problems: ProblemList): void {
  visitStrings(job, [], (value, path) => {
    if (!value.includes('${{')) return;
    const at = [...jobPath, ...path];
    const expressions = findMatrixExpressions(value);
    if (axes === null) return problems.add(at, '${{ }} needs a matrix: this job has none');
    if (!interpolated(path)) return problems.add(at, "${{ }} is only allowed in runs_on, env values and steps' run and name");
    if (expressions === null) return problems.add(at, '${{ is never closed with }}');
    for (const { text, axis } of expressions) {
      if (axis === null) problems.add(at, `${text}: only \${{ matrix.<axis> }} is allowed`);
      else if (!axes.includes(axis)) problems.add(at, `${text}: unknown matrix axis ${axis}`);
    }
  });
}

function visitStrings(value: unknown, path: PathSegment[], visit: (value: string, path: PathSegment[]) => void): void {
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value)) value.forEach((item, i) => visitStrings(item, [...path, i], visit));
  else if (isMapping(value)) for (const [key, item] of Object.entries(value)) visitStrings(item, [...path, key], visit);
}
