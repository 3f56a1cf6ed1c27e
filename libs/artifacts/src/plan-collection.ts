import { failedPrecondition, permissionDenied } from '@jobmesh/grpc-kit';
import { selectArtifacts } from './select-artifacts.ts';

/**
 * One entry of a listing of where a job ran, paths relative to its working directory.
 * - `file`: a regular file.
 * - `link`: a symbolic link; `target` is where it resolves (absolute, `''` when dangling),
 *   `targetKind` what is there, `size` the target's size when it is a file.
 */
export type ListedEntry =
  | { kind: 'file'; path: string; size: number; mode: number }
  | { kind: 'link'; path: string; target: string; targetKind: 'file' | 'dir' | 'missing'; size: number; mode: number };

/** A file to copy out, with the size the listing saw. */
export interface PlannedFile {
  path: string;
  size: number;
  mode: number;
}

/** What to collect. */
export interface CollectionPlan {
  files: PlannedFile[];
  /** Patterns that selected nothing, in the order given. */
  unmatched: string[];
  bytesTotal: number;
}

const inside = (root: string, target: string) => target === root || target.startsWith(root.endsWith('/') ? root : `${root}/`);

/**
 * Decides what a collection copies, the same way on every backend: applies the patterns
 * ({@link selectArtifacts}), refuses a selected symlink that leads out of the working directory,
 * follows one that leads to a file inside it, skips one to a directory (never walked: no cycles)
 * or to nothing, and checks the caps before any byte is copied.
 * @param root - the working directory's real path (where the listing's links must stay)
 * @throws MeshError PERMISSION_DENIED ARTIFACT_PATH_ESCAPES naming the path; FAILED_PRECONDITION ARTIFACT_LIMIT_EXCEEDED
 */
export function planCollection(entries: readonly ListedEntry[], patterns: readonly string[], limits: { root: string; maxFiles: number; maxBytes: number }): CollectionPlan {
  const byPath = new Map(entries.map((entry) => [entry.path, entry]));
  const selection = selectArtifacts([...byPath.keys()], patterns);
  const files: PlannedFile[] = [];
  let bytesTotal = 0;
  for (const path of selection.selected) {
    const entry = byPath.get(path)!;
    if (entry.kind === 'link') {
      if (entry.target !== '' && !inside(limits.root, entry.target)) {
        throw permissionDenied('ARTIFACT_PATH_ESCAPES', `artifact ${path} is a symlink to ${entry.target}, outside the job's workspace`);
      }
      if (entry.targetKind !== 'file') continue;
    }
    files.push({ path, size: entry.size, mode: entry.mode & 0o777 });
    bytesTotal += entry.size;
  }
  if (files.length > limits.maxFiles) {
    throw failedPrecondition('ARTIFACT_LIMIT_EXCEEDED', `the artifact patterns select ${files.length} files; the limit is ${limits.maxFiles} (JOBMESH_ARTIFACT_MAX_FILES)`);
  }
  if (bytesTotal > limits.maxBytes) {
    throw failedPrecondition('ARTIFACT_LIMIT_EXCEEDED', `the artifact patterns select ${bytesTotal} bytes; the limit is ${limits.maxBytes} (JOBMESH_ARTIFACT_MAX_BYTES)`);
  }
  return { files, unmatched: selection.unmatched, bytesTotal };
}
