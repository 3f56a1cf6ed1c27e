import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { manifestLimits, parsePipelineManifest } from './index.ts';

/** The problems' texts, failing when the manifest is accepted. */
function problemsOf(source: string): string[] {
  const result = parsePipelineManifest(source);
  if (result.ok) throw new Error('the manifest was accepted');
  return result.problems.map((problem) => problem.text);
}

const values = (count: number) => `[${Array.from({ length: count }, (_, i) => i).join(', ')}]`;

// [mistake, manifest, every problem expected]
const cases: Array<[string, string, string[]]> = [
  ['an unknown top-level key', 'jobs:\n  a:\n    runs_on: process\n    steps: [{ run: make }]\njobz: {}\n', ['jobz: unknown key (line 5)']],
  ['an unknown job key', 'jobs:\n  build:\n    runs_on: process\n    steps: [{ run: make }]\n    stepz: []\n', ['jobs.build.stepz: unknown key (line 5)']],
  ['an unknown step key', 'jobs:\n  build:\n    runs_on: process\n    steps:\n      - run: make\n        shell: bash\n', ['jobs.build.steps[0].shell: unknown key (line 6)']],
  ['a job without runs_on', 'jobs:\n  build:\n    steps:\n      - run: make\n', ['jobs.build.runs_on: required (line 2)']],
  ['a job without steps', 'jobs:\n  build:\n    runs_on: process\n', ['jobs.build.steps: required (line 2)']],
  ['empty steps', 'jobs:\n  build:\n    runs_on: process\n    steps: []\n', ['jobs.build.steps: must hold 1 to 100 steps (line 4)']],
  ['a step with both run and block', 'jobs:\n  build:\n    runs_on: process\n    steps:\n      - run: make\n        block: Ship?\n', ['jobs.build.steps[0]: has both run and block: a step is one or the other (line 5)']],
  [
    'a step with neither run nor block',
    'jobs:\n  build:\n    runs_on: process\n    env:\n      A: "1"\n      B: "2"\n    steps:\n      - name: one\n        run: make one\n      - name: two\n        run: make two\n      # the third step\n      # forgot its run\n      - name: three\n',
    ['jobs.build.steps[2].run: required (line 14)'],
  ],
  ['a run that is not a string', 'jobs:\n  build:\n    runs_on: process\n    steps:\n      - run: [make]\n', ['jobs.build.steps[0].run: must be a string (line 5)']],
  ['two steps with one name', 'jobs:\n  build:\n    runs_on: process\n    steps:\n      - { name: x, run: a }\n      - { name: x, run: b }\n', ['jobs.build.steps[1]: step name "x" is already used in this job (line 6)']],
  ['a block step after a run step', 'jobs:\n  build:\n    runs_on: process\n    steps:\n      - run: make\n      - block: Ship?\n', ['jobs.build.steps[1]: a block step must come before every run step (line 6)']],
  ['a job with only block steps', 'jobs:\n  build:\n    runs_on: process\n    steps:\n      - block: Ship?\n', ['jobs.build.steps: must hold at least one run step (line 4)']],
  ['a need on an unknown job', 'jobs:\n  build:\n    runs_on: process\n    needs: [lint]\n    steps: [{ run: make }]\n', ['jobs.build.needs[0]: unknown job lint (line 4)']],
  ['a job needing itself', 'jobs:\n  build:\n    runs_on: process\n    needs: [build]\n    steps: [{ run: make }]\n', ['jobs.build.needs[0]: a job cannot need itself (line 4)']],
  [
    'a cycle of three needs',
    'jobs:\n  a:\n    runs_on: process\n    needs: [c]\n    steps: [{ run: make }]\n  b:\n    runs_on: process\n    needs: [a]\n    steps: [{ run: make }]\n  c:\n    runs_on: process\n    needs: [b]\n    steps: [{ run: make }]\n',
    ['jobs.a.needs: cycle a -> c -> b -> a (line 4)'],
  ],
  [
    'a matrix of more than 256 combinations (per job, hence in total too)',
    `jobs:\n  build:\n    runs_on: process\n    matrix:\n      x: ${values(17)}\n      y: ${values(16)}\n    steps: [{ run: make }]\n`,
    ['jobs: the pipeline expands into 272 jobs, more than 256 for the whole pipeline (line 1)', 'jobs.build.matrix: expands into 272 jobs, more than 256 for one job (line 4)'],
  ],
  [
    'more than 256 jobs in the whole pipeline',
    `jobs:\n  a:\n    runs_on: process\n    matrix: { x: ${values(64)}, y: [1, 2, 3] }\n    steps: [{ run: make }]\n  b:\n    runs_on: process\n    matrix: { x: ${values(64)}, y: [1, 2] }\n    steps: [{ run: make }]\n`,
    ['jobs: the pipeline expands into 320 jobs, more than 256 for the whole pipeline (line 1)'],
  ],
  ['an empty matrix axis', 'jobs:\n  build:\n    runs_on: process\n    matrix:\n      os: []\n    steps: [{ run: make }]\n', ['jobs.build.matrix.os: must hold 1 to 64 values (line 5)']],
  [
    'an unknown axis in an interpolation',
    'jobs:\n  build:\n    runs_on: process\n    matrix: { os: [a, b] }\n    steps:\n      - run: echo ${{ matrix.arch }}\n',
    ['jobs.build.steps[0].run: ${{ matrix.arch }}: unknown matrix axis arch (line 6)'],
  ],
  [
    'an expression other than matrix.<axis>',
    'jobs:\n  build:\n    runs_on: process\n    matrix: { os: [a, b] }\n    env: { SHA: "${{ github.sha }}" }\n    steps: [{ run: make }]\n',
    ['jobs.build.env.SHA: ${{ github.sha }}: only ${{ matrix.<axis> }} is allowed (line 5)'],
  ],
  [
    'an interpolation where none is allowed',
    'jobs:\n  build:\n    runs_on: process\n    matrix: { os: [a, b] }\n    concurrency: ${{ matrix.os }}\n    steps: [{ run: make }]\n',
    ['jobs.build.concurrency: must be 1 to 128 of [A-Za-z0-9._-] (line 5)', "jobs.build.concurrency: ${{ }} is only allowed in runs_on, env values and steps' run and name (line 5)"],
  ],
  ['${{ in a job without a matrix', 'jobs:\n  build:\n    runs_on: process\n    steps:\n      - run: echo ${{ matrix.os }}\n', ['jobs.build.steps[0].run: ${{ }} needs a matrix: this job has none (line 5)']],
  ['a bad if', 'jobs:\n  build:\n    runs_on: process\n    if: success\n    steps: [{ run: make }]\n', ['jobs.build.if: must be success(), failure() or always() (line 4)']],
  ['a timeout in days', 'jobs:\n  build:\n    runs_on: process\n    timeout: 2d\n    steps: [{ run: make }]\n', ['jobs.build.timeout: must be a duration such as 90s, 30m or 2h, or a whole number of seconds (line 4)']],
  ['a timeout over 7 days', 'jobs:\n  build:\n    runs_on: process\n    timeout: 169h\n    steps: [{ run: make }]\n', ['jobs.build.timeout: must be from 1s to 7 days (line 4)']],
  ['a retry out of range', 'jobs:\n  build:\n    runs_on: process\n    retry: 11\n    steps: [{ run: make }]\n', ['jobs.build.retry: must be a whole number from 0 to 10 (line 4)']],
  ['a bad env name', 'jobs:\n  build:\n    runs_on: process\n    env:\n      1X: a\n    steps: [{ run: make }]\n', ['jobs.build.env.1X: must match [A-Za-z_][A-Za-z0-9_]* (line 5)']],
  ['a reserved env name', 'jobs:\n  build:\n    runs_on: process\n    env: { JOBMESH_X: a }\n    steps: [{ run: make }]\n', ['jobs.build.env.JOBMESH_X: JOBMESH_* names are reserved for the mesh (line 4)']],
  [
    'a name in both env and secret_env',
    'jobs:\n  build:\n    runs_on: process\n    env: { TOKEN: a }\n    secret_env:\n      - NPM_TOKEN\n      - TOKEN\n    steps: [{ run: make }]\n',
    ['jobs.build.secret_env[1]: TOKEN is also set in env (line 7)'],
  ],
  [
    'an artifact pattern leaving the workspace',
    'jobs:\n  build:\n    runs_on: process\n    artifacts:\n      paths: [out/**, ../x]\n    steps: [{ run: make }]\n',
    ['jobs.build.artifacts.paths[1]: must not contain a .. component (line 5)'],
  ],
  [
    'a bad artifacts when',
    'jobs:\n  build:\n    runs_on: process\n    artifacts:\n      paths: [out/**]\n      when: sometimes\n    steps: [{ run: make }]\n',
    ['jobs.build.artifacts.when: must be on_success, on_failure or always (line 6)'],
  ],
  ['a bad job id', 'jobs:\n  build!:\n    runs_on: process\n    steps: [{ run: make }]\n', ['jobs.build!: job ids must be 1 to 64 of [A-Za-z0-9_-] (line 2)']],
  ['a YAML syntax error', 'jobs:\n  build:\n    runs_on: process\n    steps: [{ run: make }\n  lint: x\n', ['(yaml): Flow sequence in block collection must be sufficiently indented and end with a ] (line 5)']],
  ['a key written twice', 'jobs:\n  build:\n    runs_on: process\n    runs_on: vm\n    steps: [{ run: make }]\n', ['(yaml): Map keys must be unique (line 4)']],
  ['a __proto__ key (it would vanish from a plain object)', 'jobs:\n  build:\n    runs_on: process\n    env: { __proto__: x }\n    steps: [{ run: make }]\n', ['(yaml): the key __proto__ is not allowed (line 4)']],
  ['a root that is not a mapping', '- jobs\n- build\n', ['(root): must be a mapping (line 1)']],
  ['an empty file', '', ['(root): must be a mapping (line 1)']],
  ['no jobs', 'version: 1\n', ['jobs: required (line 1)']],
  ['jobs that are not a mapping', 'jobs: [build]\n', ['jobs: must be a mapping (line 1)']],
  ['version 2', 'version: 2\njobs:\n  build:\n    runs_on: process\n    steps: [{ run: make }]\n', ['version: must be 1 (line 1)']],
  [
    'a label that is bad once interpolated',
    'jobs:\n  build:\n    runs_on: vm-${{ matrix.os }}\n    matrix: { os: [linux, mac os] }\n    steps: [{ run: make }]\n',
    ['jobs.build.runs_on: "vm-mac os" (for os=mac os) is not a label: 1 to 128 of [A-Za-z0-9._-] (line 3)'],
  ],
  [
    'two combinations with one key',
    'jobs:\n  build:\n    runs_on: process\n    matrix: { os: [a b, a_b] }\n    steps: [{ run: make }]\n',
    ['jobs.build.matrix: key build-a_b of build (os=a_b) is also the key of build (os=a b) (line 4)'],
  ],
  [
    'a plain job with the key of a matrix combination',
    'jobs:\n  build:\n    runs_on: process\n    matrix: { os: [a] }\n    steps: [{ run: make }]\n  build-a:\n    runs_on: process\n    steps: [{ run: make }]\n',
    ['jobs.build-a: key build-a of build-a is also the key of build (os=a) (line 6)'],
  ],
];

for (const [mistake, source, expected] of cases) {
  test(`refused: ${mistake}`, () => {
    assert.equal(problemsOf(source), expected);
  });
}

test('a manifest over the size limit is one problem at line 1', () => {
  assert.equal(problemsOf(`# ${'x'.repeat(manifestLimits.maxBytes)}\n`), ['(root): the manifest is larger than 262144 bytes (line 1)']);
});

test('a manifest with several mistakes gets all of them, in line order', () => {
  const source = `version: 1
colour: blue
jobs:
  lint:
    runs_on: process
    if: sometimes
    steps:
      - run: make lint
      - block: Ship?
  build:
    needs: [lint, nope]
    env: { JOBMESH_MODE: x }
    timeout: 0s
    steps:
      - name: compile
        run: 42
      - name: compile
        run: make
  deploy:
    runs_on: vm
    retry: -1
    steps:
      - run: echo \${{ matrix.os }}
`;
  assert.equal(problemsOf(source), [
    'colour: unknown key (line 2)',
    'jobs.lint.if: must be success(), failure() or always() (line 6)',
    'jobs.lint.steps[1]: a block step must come before every run step (line 9)',
    'jobs.build.runs_on: required (line 10)',
    'jobs.build.needs[1]: unknown job nope (line 11)',
    'jobs.build.env.JOBMESH_MODE: JOBMESH_* names are reserved for the mesh (line 12)',
    'jobs.build.timeout: must be from 1s to 7 days (line 13)',
    'jobs.build.steps[0].run: must be a string (line 16)',
    'jobs.deploy.retry: must be a whole number from 0 to 10 (line 21)',
    'jobs.deploy.steps[0].run: ${{ }} needs a matrix: this job has none (line 23)',
  ]);
});

test.run();
