import type { Job } from '@jobmesh/contracts/jobmesh/orchestrator/v1/jobs.ts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HttpError } from '../http/to-error-body.ts';
import { resubmissionOf } from './resubmission-of.ts';

const job = (env: Record<string, string>) => ({
  requestId: 'a', repoUrl: 'file:///r', commitSha: 'c'.repeat(40), runsOn: 'local', script: 'make', env, timeoutMs: 5000,
  artifactPatterns: ['out/**'], artifactWhen: 3, state: 5, error: '', operationId: 'a', traceId: '', artifactManifest: '',
  createdAt: undefined, updatedAt: undefined, finishedAt: undefined, pipelineId: '', pipelineJobKey: '', steps: [],
}) satisfies Job;

test('a retry is a new job (no request id) with the same spec', () => {
  assert.equal(resubmissionOf(job({ CI: '1' })), {
    repoUrl: 'file:///r', commitSha: 'c'.repeat(40), runsOn: 'local', script: 'make', env: { CI: '1' }, secretEnv: {},
    timeoutMs: 5000, artifactPatterns: ['out/**'], artifactWhen: 3, requestId: '',
  });
});

test('a job with secret env cannot be resubmitted from here: the secrets are never shown again', () => {
  try {
    resubmissionOf(job({ CI: '1', TOKEN: '***' }));
    assert.unreachable();
  } catch (error) {
    assert.instance(error, HttpError);
    assert.is((error as HttpError).body.reason, 'SECRET_ENV_NOT_READABLE');
    assert.match((error as HttpError).message, 'TOKEN');
  }
});

test.run();
