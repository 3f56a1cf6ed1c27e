/**
 * One line saying what went wrong: the error's name and message, its cause chain, and the
 * first stack frames outside node internals, so a suite failure in CI is diagnosable from
 * the JSON (and the test's assertion message) alone.
 */
export function describeError(error: unknown, frames = 3): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 4; depth++) {
    if (current instanceof Error) {
      const code = 'code' in current && current.code !== undefined ? ` [${String(current.code)}]` : '';
      parts.push(`${depth ? 'cause: ' : ''}${current.name}${code}: ${current.message}`);
      if (depth === 0) {
        const at = (current.stack ?? '').split('\n').map((l) => l.trim()).filter((l) => l.startsWith('at ') && !l.includes('node:internal')).slice(0, frames);
        if (at.length) parts.push(at.join(' ← '));
      }
      current = current.cause;
    } else {
      parts.push(`${depth ? 'cause: ' : ''}${String(current)}`);
      current = undefined;
    }
  }
  return parts.join(' | ').replace(/\s*\n\s*/g, ' ⏎ ');
}
