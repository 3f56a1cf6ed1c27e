import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parsePipelineManifest, type PipelinePlan } from './index.ts';

function planOf(source: string): PipelinePlan {
  const result = parsePipelineManifest(source);
  if (!result.ok) throw new Error(result.problems.map((problem) => problem.text).join('\n'));
  return result.plan;
}

test('values are kept as written (3.10 stays 3.10), the first axis varies slowest, keys are sanitized', () => {
  const plan = planOf(`jobs:
  py:
    runs_on: process
    matrix:
      python-version: [3.10, "3.9"]
      flags: [-O2 -g, true]
    steps:
      - run: make
`);
  assert.equal(
    plan.jobs.map((job) => [job.key, job.name, job.env]),
    [
      ['py-3.10--O2_-g', 'py (python-version=3.10, flags=-O2 -g)', { JOBMESH_MATRIX_PYTHON_VERSION: '3.10', JOBMESH_MATRIX_FLAGS: '-O2 -g' }],
      ['py-3.10-true', 'py (python-version=3.10, flags=true)', { JOBMESH_MATRIX_PYTHON_VERSION: '3.10', JOBMESH_MATRIX_FLAGS: 'true' }],
      ['py-3.9--O2_-g', 'py (python-version=3.9, flags=-O2 -g)', { JOBMESH_MATRIX_PYTHON_VERSION: '3.9', JOBMESH_MATRIX_FLAGS: '-O2 -g' }],
      ['py-3.9-true', 'py (python-version=3.9, flags=true)', { JOBMESH_MATRIX_PYTHON_VERSION: '3.9', JOBMESH_MATRIX_FLAGS: 'true' }],
    ],
  );
});

test('a block step is named by its text unless named; a named one may interpolate', () => {
  const plan = planOf(`jobs:
  ship:
    runs_on: process
    matrix: { region: [eu, us] }
    steps:
      - block: Ship it?
      - block: Really?
        name: confirm \${{ matrix.region }}
      - run: ./ship.sh \${{ matrix.region }}
`);
  assert.equal(plan.jobs[1]?.steps, [
    { kind: 'block', name: 'Ship it?', prompt: 'Ship it?' },
    { kind: 'block', name: 'confirm us', prompt: 'Really?' },
    { kind: 'run', name: 'step 3', run: './ship.sh us' },
  ]);
});

test('two axes that would set one variable are refused', () => {
  const result = parsePipelineManifest('jobs:\n  a:\n    runs_on: process\n    matrix:\n      os-name: [x]\n      os_name: [y]\n    steps: [{ run: make }]\n');
  assert.equal(result.ok ? [] : result.problems.map((problem) => problem.text), ['jobs.a.matrix.os_name: JOBMESH_MATRIX_OS_NAME would also be set by axis os-name (line 6)']);
});

test('job ids that look like numbers keep their manifest order', () => {
  const plan = planOf('jobs:\n  b:\n    runs_on: process\n    steps: [{ run: make }]\n  "2":\n    runs_on: process\n    steps: [{ run: make }]\n  "1":\n    runs_on: process\n    steps: [{ run: make }]\n');
  assert.equal(plan.jobs.map((job) => job.key), ['b', '2', '1']);
});

test.run();
