/** The variable that carries an axis's value: `JOBMESH_MATRIX_<AXIS upper-cased, other than [A-Z0-9] → _>`. */
export function matrixVariable(axis: string): string {
  return `JOBMESH_MATRIX_${axis.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** How many jobs a matrix expands into (1 for none). */
export function combinationCount(matrix: Record<string, readonly unknown[]> | undefined): number {
  return Object.values(matrix ?? {}).reduce((product, values) => product * values.length, 1);
}

/**
 * Every combination of the axes' values, the first axis slowest; one empty combination for a
 * job without a matrix.
 * @param axes - in the order written, each with its values as text
 */
export function matrixCombinations(axes: ReadonlyArray<readonly [string, readonly string[]]>): Array<Record<string, string>> {
  let combinations: Array<Record<string, string>> = [{}];
  for (const [axis, values] of axes) {
    combinations = combinations.flatMap((combination) => values.map((value) => ({ ...combination, [axis]: value })));
  }
  return combinations;
}
