import { randomUUID } from 'node:crypto';
import type { PrepareRequest } from '@jobmesh/contracts/jobmesh/vmrunner/v1/vm_runner.ts';

/** A valid Prepare request on `local` with a fresh key; override any field. */
export function prepareRequest(overrides: Partial<PrepareRequest> = {}): PrepareRequest {
  return { key: `test-${randomUUID()}`, runsOn: 'local', jobRequestId: '', workspacePath: '', script: 'echo hello', env: {}, ...overrides };
}
