/** One `${{ … }}` in a string. */
export interface MatrixExpression {
  /** The expression as written, braces included. */
  text: string;
  /** The axis for `${{ matrix.<axis> }}`; null for any other form. */
  axis: string | null;
}

/**
 * The `${{ … }}` expressions of a string.
 * @returns null when a `${{` is never closed
 */
export function findMatrixExpressions(value: string): MatrixExpression[] | null {
  const found: MatrixExpression[] = [];
  let from = 0;
  for (let start = value.indexOf('${{', from); start !== -1; start = value.indexOf('${{', from)) {
    const end = value.indexOf('}}', start + 3);
    if (end === -1) return null;
    const text = value.slice(start, end + 2);
    found.push({ text, axis: /^\s*matrix\.([A-Za-z0-9_-]+)\s*$/.exec(value.slice(start + 3, end))?.[1] ?? null });
    from = end + 2;
  }
  return found;
}

/** Replaces each `${{ matrix.<axis> }}` by the combination's value (the expressions were checked before). */
export function interpolateMatrix(value: string, combination: Readonly<Record<string, string>>): string {
  return value.replace(/\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}/g, (text, axis: string) => combination[axis] ?? text);
}
