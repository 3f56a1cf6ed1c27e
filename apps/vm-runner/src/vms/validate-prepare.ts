import type { PrepareRequest } from '@jobmesh/contracts/jobmesh/vmrunner/v1/vm_runner.ts';
import { invalidArgument, permissionDenied } from '@jobmesh/grpc-kit';
import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import type { JobPayload } from '../backends/backend.ts';

/** Largest job script, in bytes. */
export const maxScriptBytes = 1024 * 1024;
/** Most environment variables of a job. */
export const maxEnvEntries = 256;
/** Largest sum of environment names and values, in bytes. */
export const maxEnvBytes = 64 * 1024;
/** Longest Prepare key. */
export const maxKeyLength = 256;

const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** True when `path` lies strictly below `root` (both absolute and resolved). */
const isBelow = (root: string, path: string) => {
  const rest = relative(root, path);
  return rest !== '' && !rest.startsWith('..') && !isAbsolute(rest);
};

/** The real path of `path`, or undefined when it does not exist. */
const realPathOf = (path: string) => {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
};

/**
 * Checks a workspace path: absolute, below `workspaceRoot` both as written and once its
 * symlinks are resolved (so a link in the root cannot point out of it), and a directory.
 * The root check comes first: a caller learns nothing about paths outside it.
 * @returns the real path, which the backends use (no link to follow again later)
 * @throws INVALID_ARGUMENT (workspace_path) not absolute, or not an existing directory;
 *   PERMISSION_DENIED `PATH_OUTSIDE_ROOT` (field workspace_path) outside the root
 */
function requireWorkspacePath(path: string, workspaceRoot: string): string {
  if (!isAbsolute(path)) throw invalidArgument('workspace_path', 'must be an absolute path');
  const root = resolve(workspaceRoot);
  const realRoot = realPathOf(root) ?? root;
  const outside = () => permissionDenied('PATH_OUTSIDE_ROOT', `workspace_path: must lie inside the workspace root ${root} (JOBMESH_VMRUNNER_WORKSPACE_ROOT)`, { field: 'workspace_path' });
  if (!isBelow(root, resolve(path)) && !isBelow(realRoot, resolve(path))) throw outside();
  const real = realPathOf(path);
  if (real !== undefined && !isBelow(realRoot, real)) throw outside();
  if (real === undefined || !statSync(real).isDirectory()) throw invalidArgument('workspace_path', 'must be an existing directory');
  return real;
}

/**
 * Checks a Prepare request's own fields (the label is checked by the catalog); a
 * workspace must lie inside `workspaceRoot` (fsops' workspace root, which vm-runner shares).
 * @throws INVALID_ARGUMENT naming the first bad field: key, job_request_id,
 *   workspace_path, script (1 B to 1 MiB), env (≤ 256 entries, ≤ 64 KiB, shell names);
 *   PERMISSION_DENIED `PATH_OUTSIDE_ROOT` for a workspace_path outside the root
 */
export function validatePrepare(request: PrepareRequest, workspaceRoot: string): JobPayload & { key: string; jobRequestId: string } {
  if (request.key.length === 0 || request.key.length > maxKeyLength) throw invalidArgument('key', `must be 1 to ${maxKeyLength} characters`);
  if (request.jobRequestId && !uuidPattern.test(request.jobRequestId)) throw invalidArgument('job_request_id', 'must be empty or a lower-case UUID');
  const workspacePath = request.workspacePath && requireWorkspacePath(request.workspacePath, workspaceRoot);
  const scriptBytes = Buffer.byteLength(request.script, 'utf8');
  if (scriptBytes === 0) throw invalidArgument('script', 'must not be empty');
  if (scriptBytes > maxScriptBytes) throw invalidArgument('script', `is ${scriptBytes} bytes; at most ${maxScriptBytes} allowed`, { reason: 'SCRIPT_TOO_LARGE' });
  const entries = Object.entries(request.env);
  if (entries.length > maxEnvEntries) throw invalidArgument('env', `has ${entries.length} entries; at most ${maxEnvEntries} allowed`, { reason: 'ENV_TOO_LARGE' });
  let envBytes = 0;
  for (const [name, value] of entries) {
    if (!envName.test(name)) throw invalidArgument('env', `"${name.slice(0, 64)}" is not a variable name ([A-Za-z_][A-Za-z0-9_]*)`);
    if (value.includes('\0')) throw invalidArgument('env', `value of ${name} holds a NUL byte`);
    envBytes += Buffer.byteLength(name) + Buffer.byteLength(value);
  }
  if (envBytes > maxEnvBytes) throw invalidArgument('env', `holds ${envBytes} bytes; at most ${maxEnvBytes} allowed`, { reason: 'ENV_TOO_LARGE' });
  return { key: request.key, jobRequestId: request.jobRequestId, script: request.script, env: request.env, workspacePath };
}
