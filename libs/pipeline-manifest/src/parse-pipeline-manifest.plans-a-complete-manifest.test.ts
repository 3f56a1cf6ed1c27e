import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parsePipelineManifest, type JobPlan } from './index.ts';

const manifest = `version: 1
jobs:
  deploy:
    runs_on: process
    needs: [test]
    concurrency: deploy-prod
    secret_env: [DEPLOY_TOKEN]
    timeout: 2h
    steps:
      - block: Deploy to production?
      - name: upload
        run: ./deploy.sh
      - run: ./smoke.sh
  test:
    runs_on: process
    needs: [build]
    if: always()
    retry: 2
    timeout: 90
    steps:
      - run: make test
  build:
    runs_on: vm-\${{ matrix.os }}
    needs: [lint]
    matrix:
      os: [debian, alpine]
      node: [20, 22]
    env:
      MODE: release
      NODE: "v\${{ matrix.node }}"
      LEVEL: 3
    secret_env: [NPM_TOKEN]
    artifacts:
      paths: [out/**, "dist/*.tgz"]
      when: always
    timeout: 30m
    steps:
      - name: compile on \${{ matrix.os }}
        run: make NODE=\${{ matrix.node }}
      - run: make pack
  lint:
    runs_on: process
    steps:
      - run: make lint
`;

const plain = { matrix: {}, needs: [], if: 'success', env: {}, secretEnv: [], artifacts: { paths: [], when: 'on_success' }, timeoutMs: null, retry: 0, concurrency: null } as const;

const build = (os: string, node: string): JobPlan => ({
  key: `build-${os}-${node}`,
  id: 'build',
  name: `build (os=${os}, node=${node})`,
  matrix: { os, node },
  runsOn: `vm-${os}`,
  needs: ['lint'],
  if: 'success',
  steps: [
    { kind: 'run', name: `compile on ${os}`, run: `make NODE=${node}` },
    { kind: 'run', name: 'step 2', run: 'make pack' },
  ],
  env: { MODE: 'release', NODE: `v${node}`, LEVEL: '3', JOBMESH_MATRIX_OS: os, JOBMESH_MATRIX_NODE: node },
  secretEnv: ['NPM_TOKEN'],
  artifacts: { paths: ['out/**', 'dist/*.tgz'], when: 'always' },
  timeoutMs: 30 * 60_000,
  retry: 0,
  concurrency: null,
});

test('a complete manifest becomes the exact plan: topological order, matrix combinations, needs as keys', () => {
  const result = parsePipelineManifest(manifest);
  if (!result.ok) throw new Error(result.problems.map((p) => p.text).join('\n'));
  assert.equal(result.plan, {
    jobs: [
      { ...plain, key: 'lint', id: 'lint', name: 'lint', runsOn: 'process', steps: [{ kind: 'run', name: 'step 1', run: 'make lint' }] },
      build('debian', '20'),
      build('debian', '22'),
      build('alpine', '20'),
      build('alpine', '22'),
      {
        ...plain,
        key: 'test',
        id: 'test',
        name: 'test',
        runsOn: 'process',
        needs: ['build-alpine-20', 'build-alpine-22', 'build-debian-20', 'build-debian-22'],
        if: 'always',
        steps: [{ kind: 'run', name: 'step 1', run: 'make test' }],
        timeoutMs: 90_000,
        retry: 2,
      },
      {
        ...plain,
        key: 'deploy',
        id: 'deploy',
        name: 'deploy',
        runsOn: 'process',
        needs: ['test'],
        steps: [
          { kind: 'block', name: 'Deploy to production?', prompt: 'Deploy to production?' },
          { kind: 'run', name: 'upload', run: './deploy.sh' },
          { kind: 'run', name: 'step 3', run: './smoke.sh' },
        ],
        secretEnv: ['DEPLOY_TOKEN'],
        timeoutMs: 2 * 3_600_000,
        concurrency: 'deploy-prod',
      },
    ],
  });
});

test.run();
