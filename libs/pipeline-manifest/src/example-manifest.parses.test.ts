import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parsePipelineManifest } from './index.ts';

test('the documented example manifest is valid and plans every job', () => {
  const result = parsePipelineManifest(readFileSync(join(import.meta.dirname, '..', 'example.jobmesh.yml'), 'utf8'));
  if (!result.ok) throw new Error(result.problems.map((problem) => problem.text).join('\n'));
  assert.equal(
    result.plan.jobs.map((job) => job.key),
    ['lint', 'build-debian-20', 'build-debian-22', 'build-alpine-20', 'build-alpine-22', 'test', 'report', 'deploy'],
  );
});

test.run();
