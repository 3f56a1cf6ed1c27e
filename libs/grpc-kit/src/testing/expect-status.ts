import * as assert from 'uvu/assert';
import { MeshError, type StatusCode } from '../errors/mesh-error.ts';
import { status } from '@grpc/grpc-js';

/** What a refused call is expected to carry besides its code. */
export interface ExpectedStatus {
  /** The machine reason, e.g. `JOB_NOT_FOUND`. */
  reason?: string;
  /** The request field named, e.g. `spec.request_id`. */
  field?: string;
}

/**
 * Asserts that a call fails with `code` (and reason and field when given), the
 * way tests should check errors: by status and reason, not message wording.
 * @returns the error, for further checks
 */
export async function expectStatus(call: Promise<unknown>, code: StatusCode, expected: ExpectedStatus = {}): Promise<MeshError> {
  let error: unknown;
  try {
    await call;
  } catch (caught) {
    error = caught;
  }
  assert.ok(error !== undefined, `expected ${status[code]}, but the call succeeded`);
  assert.instance(error, MeshError, `expected a MeshError, got ${String(error)}`);
  const mesh = error as MeshError;
  assert.is(status[mesh.code], status[code], `status of: ${mesh.message}`);
  if (expected.reason !== undefined) assert.is(mesh.reason, expected.reason, `reason of: ${mesh.message}`);
  if (expected.field !== undefined) {
    assert.is(mesh.field, expected.field, `field of: ${mesh.message}`);
    assert.ok(mesh.message.includes(expected.field), `message names the field: ${mesh.message}`);
  }
  return mesh;
}
