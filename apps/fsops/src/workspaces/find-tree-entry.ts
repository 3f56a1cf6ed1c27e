import { runGit } from './run-git.ts';

/** What a path names in a commit's tree. */
export type TreeEntryKind = 'file' | 'directory' | 'submodule' | 'symlink';

/** One entry of a commit's tree. */
export interface TreeEntry {
  kind: TreeEntryKind;
  /** The object's full id (for a submodule, the commit it points at, which is not in this repository). */
  oid: string;
}

/**
 * Finds the entry `path` names in `commit`'s tree of the repository at `gitDir`, through
 * `git ls-tree` with literal pathspecs (so `*` or `:(top)` in a name mean nothing).
 * @returns the entry, or undefined when the commit holds no such path (also below a file,
 *   a symlink or a submodule: ls-tree never goes through them)
 * @throws GitError
 */
export async function findTreeEntry(gitDir: string, commit: string, path: string, timeoutMs: number): Promise<TreeEntry | undefined> {
  const { stdout } = await runGit(['--literal-pathspecs', 'ls-tree', '-z', '--full-tree', commit, '--', path], { cwd: gitDir, timeoutMs });
  // Records are `<mode> SP <type> SP <oid> TAB <path>`, NUL-terminated, the path unquoted (-z).
  for (const record of stdout.split('\0')) {
    const tab = record.indexOf('\t');
    if (tab < 0 || record.slice(tab + 1) !== path) continue;
    const [mode, type, oid = ''] = record.slice(0, tab).split(' ');
    return { kind: kindOf(mode, type), oid };
  }
  return undefined;
}

/** The kind of a tree entry from its mode and object type. */
function kindOf(mode: string | undefined, type: string | undefined): TreeEntryKind {
  if (type === 'tree') return 'directory';
  if (type === 'commit') return 'submodule';
  return mode === '120000' ? 'symlink' : 'file';
}
