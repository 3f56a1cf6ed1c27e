import type { PrepareRequest } from '@jobmesh/contracts/jobmesh/vmrunner/v1/vm_runner.ts';
import { invalidArgument } from '@jobmesh/grpc-kit';
import { statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
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

/**
 * Checks a Prepare request's own fields (the label is checked by the catalog).
 * @throws INVALID_ARGUMENT naming the first bad field: key, job_request_id,
 *   workspace_path, script (1 B to 1 MiB), env (≤ 256 entries, ≤ 64 KiB, shell names)
 */
export function validatePrepare(request: PrepareRequest): JobPayload & { key: string; jobRequestId: string } {
  if (request.key.length === 0 || request.key.length > maxKeyLength) throw invalidArgument('key', `must be 1 to ${maxKeyLength} characters`);
  if (request.jobRequestId && !uuidPattern.test(request.jobRequestId)) throw invalidArgument('job_request_id', 'must be empty or a lower-case UUID');
  if (request.workspacePath) {
    if (!isAbsolute(request.workspacePath)) throw invalidArgument('workspace_path', 'must be an absolute path');
    if (!statSync(request.workspacePath, { throwIfNoEntry: false })?.isDirectory()) throw invalidArgument('workspace_path', 'must be an existing directory');
  }
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
  return { key: request.key, jobRequestId: request.jobRequestId, script: request.script, env: request.env, workspacePath: request.workspacePath };
}
