import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

/** A key or a list index. */
export type PathSegment = string | number;

/** `['jobs', 'build', 'steps', 2, 'run']` → `jobs.build.steps[2].run`; `[]` → `(root)`. */
export function formatPath(path: readonly PathSegment[]): string {
  if (path.length === 0) return '(root)';
  return path.map((segment, i) => (typeof segment === 'number' ? `[${segment}]` : i === 0 ? segment : `.${segment}`)).join('');
}

/** Answers questions about the parsed YAML by path. */
export interface YamlLocator {
  /** Line of the key (or list item) at `path`; for a path that does not exist, that of the deepest part that does. */
  lineOf(path: readonly PathSegment[]): number;
  /** Keys of the mapping at `path` in the order written (a plain object puts integer-like keys first). */
  keysAt(path: readonly PathSegment[]): string[];
  /** A scalar as text: a number as written (`3.10` stays `3.10`, not `3.1`), anything else via String(). */
  textOf(path: readonly PathSegment[], value: string | number | boolean): string;
}

export function createYamlLocator(doc: Document, lineCounter: LineCounter): YamlLocator {
  const lineAt = (node: unknown, fallback: number) =>
    node && typeof node === 'object' && 'range' in node && Array.isArray(node.range) ? lineCounter.linePos(node.range[0]).line : fallback;
  const resolve = (node: unknown): unknown => (isAlias(node) ? node.resolve(doc) : node);

  function walk(path: readonly PathSegment[]): { node: unknown; line: number; found: boolean } {
    let node = resolve(doc.contents);
    let line = lineAt(node, 1);
    for (const segment of path) {
      let next: { key: unknown; value: unknown } | undefined;
      if (isMap(node)) next = node.items.find((pair) => keyText(pair.key) === String(segment));
      else if (isSeq(node) && typeof segment === 'number') next = { key: node.items[segment], value: node.items[segment] };
      if (next?.key == null) return { node, line, found: false };
      line = lineAt(next.key, line);
      node = resolve(next.value);
    }
    return { node, line, found: true };
  }

  return {
    lineOf: (path) => walk(path).line,
    keysAt(path) {
      const { node, found } = walk(path);
      return found && isMap(node) ? node.items.map((pair) => keyText(pair.key)) : [];
    },
    textOf(path, value) {
      const { node, found } = walk(path);
      if (typeof value === 'number' && found && isScalar(node) && typeof node.source === 'string') return node.source;
      return String(value);
    },
  };
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key as Node | null);
}
