import { randomUUID } from 'node:crypto';
import type { JobSpec } from '@jobmesh/contracts/jobmesh/persistence/v1/jobs.ts';
import { ArtifactWhen } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';

/** A valid job spec with a fresh request id; override any field. */
export function jobSpec(overrides: Partial<JobSpec> = {}): JobSpec {
  return {
    requestId: randomUUID(),
    repoUrl: 'file:///srv/git/demo.git',
    commitSha: 'a'.repeat(40),
    runsOn: 'local',
    script: 'echo hello',
    env: { CI: 'true' },
    timeoutMs: 60_000,
    artifactPatterns: ['out/**'],
    artifactWhen: ArtifactWhen.ARTIFACT_WHEN_ON_SUCCESS,
    ...overrides,
  };
}
