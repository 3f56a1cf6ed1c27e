import { posix } from 'node:path';

/** What a set of patterns selects from a listing. */
export interface ArtifactSelection {
  /** Selected paths, sorted (code unit order). */
  selected: string[];
  /** Patterns that selected nothing, in the order given. */
  unmatched: string[];
}

const isGit = (path: string) => path.split('/').includes('.git');

/** True when `path` is the pattern's match, or lies under a directory the pattern matches (`out` and `out/**` bring the tree). */
function selects(pattern: string, path: string): boolean {
  const tree = pattern.endsWith('/**') ? pattern.slice(0, -3) : undefined;
  let current = path;
  for (;;) {
    if (posix.matchesGlob(current, pattern) || current === tree) return true;
    const parent = posix.dirname(current);
    if (parent === '.' || parent === current) return false;
    current = parent;
  }
}

/**
 * Applies artifact patterns to a listing of regular files (paths relative to the job's working
 * directory, `/`-separated): a file is selected when a pattern matches it or one of its parent
 * directories (a matched directory brings its whole tree). Anything inside `.git` never is.
 * Every backend lists where its job ran and selects with this one function, so `out/**`
 * means the same on a host process and inside a guest.
 */
export function selectArtifacts(files: readonly string[], patterns: readonly string[]): ArtifactSelection {
  const used = new Set<string>();
  const selected: string[] = [];
  for (const file of files) {
    if (isGit(file)) continue;
    let hit = false;
    for (const pattern of patterns) {
      if (selects(pattern, file)) {
        used.add(pattern);
        hit = true;
      }
    }
    if (hit) selected.push(file);
  }
  selected.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { selected, unmatched: patterns.filter((p) => !used.has(p)) };
}

/**
 * The directories a listing must cover for these patterns: each pattern's leading segments
 * without glob characters (`out/**` → `out`, `dist/*.tgz` → `dist`, `*.log` → `.`), with
 * folders inside another one dropped. Lets a guest list only what may match.
 */
export function listingRoots(patterns: readonly string[]): string[] {
  const roots = patterns.map((pattern) => {
    const fixed: string[] = [];
    for (const segment of pattern.split('/')) {
      if (/[*?[\]{}!]/.test(segment)) break;
      fixed.push(segment);
    }
    // A pattern without glob characters may name a file: list its folder.
    if (fixed.length === pattern.split('/').length) fixed.pop();
    return posix.normalize(fixed.join('/') || '.');
  });
  const unique = [...new Set(roots)].sort();
  return unique.filter((root) => !unique.some((other) => other !== root && (other === '.' || root.startsWith(`${other}/`))));
}
