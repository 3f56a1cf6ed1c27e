import { manifestProblem, type ManifestProblem } from './manifest-problem.ts';
import { formatPath, type PathSegment } from './yaml-locator.ts';

/** Collects problems by path, locating each one's line. */
export interface ProblemList {
  add(path: readonly PathSegment[], message: string): void;
  readonly size: number;
  /** Sorted by line, then in the order found; the same text only once. */
  sorted(): ManifestProblem[];
}

export function createProblemList(lineOf: (path: readonly PathSegment[]) => number): ProblemList {
  const byText = new Map<string, ManifestProblem>();
  return {
    add(path, message) {
      const found = manifestProblem(formatPath(path), lineOf(path), message);
      if (!byText.has(found.text)) byText.set(found.text, found);
    },
    get size() {
      return byText.size;
    },
    sorted: () => [...byText.values()].sort((a, b) => a.line - b.line),
  };
}
