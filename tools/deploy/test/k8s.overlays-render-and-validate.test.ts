import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { skipTest } from '@jobmesh/testing-tools';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderOverlay, type KubeObject } from '../src/render-overlay.ts';
import { commandOutput } from '../src/run-command.ts';
import { validateKubeObject } from '../src/validate-kube-object.ts';

// The README's "Run on Kubernetes" overlays, rendered as `kubectl apply -k` would and checked
// against the Kubernetes schemas (no cluster needed).
const root = fileURLToPath(new URL('../../../', import.meta.url));
const overlays = ['dev', 'production'];
const kubectl = await commandOutput('sh', ['-c', 'command -v kubectl']).catch(() => '');
const rendered = new Map<string, KubeObject[]>();
for (const overlay of kubectl ? overlays : []) rendered.set(overlay, await renderOverlay(join(root, 'deploy/k8s/overlays', overlay)));

type Container = { name: string; env?: Array<{ name: string; value?: string; valueFrom?: any }>; resources?: any; readinessProbe?: any; livenessProbe?: any; startupProbe?: any; volumeMounts?: Array<{ name: string; mountPath: string; subPath?: string }> };
const find = (overlay: string, kind: string, name: string) => rendered.get(overlay)!.find((o) => o.kind === kind && o.metadata.name === name) as any;
const podSpec = (overlay: string, kind: string, name: string) => find(overlay, kind, name)?.spec.template.spec;
const containersOf = (overlay: string) => rendered.get(overlay)!
  .filter((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet')
  .flatMap((o: any) => (o.spec.template.spec.containers as Container[]).map((c) => ({ owner: o.metadata.name as string, spec: o.spec.template.spec, container: c })));
const jobmeshContainers = (overlay: string) => containersOf(overlay).filter(({ owner }) => owner !== 'postgres');
const envOf = (container: Container, name: string) => container.env?.find((e) => e.name === name);
const ingressFrom = (overlay: string, policy: string) =>
  (find(overlay, 'NetworkPolicy', policy).spec.ingress as Array<{ from?: Array<{ podSelector?: any }> }>)
    .flatMap((rule) => rule.from ?? []).map((peer) => peer.podSelector?.matchLabels?.['app.kubernetes.io/name'] ?? peer.podSelector?.matchLabels?.['cnpg.io/cluster'] ?? 'namespace');

test('every overlay renders and every object validates against its schema (CloudNativePG Cluster: required fields by hand)', async () => {
  if (!kubectl) return skipTest('kubectl is not installed (it carries kustomize): nothing to render with');
  for (const [overlay, objects] of rendered) {
    assert.ok(objects.length > 10, `${overlay} renders its objects`);
    const problems = (await Promise.all(objects.map(validateKubeObject))).flat();
    assert.equal(problems, [], `${overlay}: ${problems.join('; ')}`);
    assert.ok(objects.every((o) => o.kind === 'Namespace' || (o.metadata as any).namespace === (overlay === 'dev' ? 'jobmesh-dev' : 'jobmesh')), `${overlay}: one namespace`);
  }
});

test('orchestrator and persistence run 2 replicas, vm-runner and fsops one pod per labelled node sharing the workspace root and staging', () => {
  if (!kubectl) return skipTest('kubectl is not installed');
  for (const overlay of overlays) {
    assert.is(find(overlay, 'Deployment', 'orchestrator').spec.replicas, 2);
    assert.is(find(overlay, 'Deployment', 'persistence').spec.replicas, 2);
    const host = podSpec(overlay, 'DaemonSet', 'vm-host');
    assert.equal(host.nodeSelector, { 'jobmesh.dev/vm-host': 'true' });
    const [runner, fsops] = ['vm-runner', 'fsops'].map((name) => host.containers.find((c: Container) => c.name === name) as Container);
    const mountOf = (c: Container, path: string) => c.volumeMounts!.find((m) => m.mountPath === path);
    for (const path of ['/data/workspaces', '/data/staging']) {
      assert.equal(mountOf(runner!, path), mountOf(fsops!, path), `${overlay}: both mount ${path} from the same host folder`);
    }
    assert.is(envOf(runner!, 'JOBMESH_VMRUNNER_WORKSPACE_ROOT')?.value, envOf(fsops!, 'JOBMESH_FSOPS_WORKSPACE_ROOT')?.value);
    assert.ok(envOf(runner!, 'JOBMESH_VMRUNNER_OUTPUT_ROOT')!.value!.startsWith(`${envOf(fsops!, 'JOBMESH_FSOPS_STAGING_ROOT')!.value}/`));
    for (const name of ['orchestrator', 'persistence', 'vm-host']) assert.ok(find(overlay, 'PodDisruptionBudget', name), `${overlay}: PDB of ${name}`);
  }
});

test('every container has memory requests and limits, runs as non-root, and has readiness and liveness probes (gRPC; exec under mutual TLS)', () => {
  if (!kubectl) return skipTest('kubectl is not installed');
  for (const overlay of overlays) {
    for (const { owner, spec, container } of jobmeshContainers(overlay)) {
      const where = `${overlay} ${owner}/${container.name}`;
      assert.ok(container.resources?.requests?.memory && container.resources?.limits?.memory, `${where}: memory request and limit`);
      assert.is(spec.securityContext.runAsNonRoot, true, `${where}: non-root`);
      for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe'] as const) {
        const handler = container[probe];
        if (overlay === 'production') assert.equal(handler?.exec?.command?.slice(0, 2), ['node', 'deploy/docker/health-check.ts'], `${where}: ${probe} exec`);
        else assert.ok(handler?.grpc?.port, `${where}: ${probe} native gRPC`);
      }
    }
  }
});

test('NetworkPolicies: only the orchestrator reaches vm-runner and fsops, only the services reach persistence, only persistence reaches Postgres', () => {
  if (!kubectl) return skipTest('kubectl is not installed');
  for (const overlay of overlays) {
    assert.equal(find(overlay, 'NetworkPolicy', 'default-deny-ingress').spec.podSelector, {});
    assert.equal(ingressFrom(overlay, 'vm-host-ingress'), ['orchestrator']);
    assert.equal(ingressFrom(overlay, 'persistence-ingress').sort(), ['orchestrator', 'vm-host']);
    // dev: its own Postgres; production: CloudNativePG's instances, which also let in each other and the operator.
    assert.equal(ingressFrom(overlay, 'postgres-ingress').filter((peer) => peer !== 'jobmesh-pg' && peer !== 'namespace'), ['persistence']);
  }
});

test('production: mutual TLS on every service, DATABASE_URL from the CloudNativePG Cluster, no secret values in git, no host jobs', () => {
  if (!kubectl) return skipTest('kubectl is not installed');
  const cluster = find('production', 'Cluster', 'jobmesh-pg');
  assert.is(cluster.apiVersion, 'postgresql.cnpg.io/v1');
  const persistence = podSpec('production', 'Deployment', 'persistence').containers[0] as Container;
  assert.equal(envOf(persistence, 'DATABASE_URL')?.valueFrom?.secretKeyRef, { name: 'jobmesh-pg-app', key: 'uri' });
  for (const { owner, container } of jobmeshContainers('production')) {
    assert.is(envOf(container, 'JOBMESH_TLS_CLIENT_AUTH')?.value, 'require', `${owner}/${container.name}: mutual TLS`);
  }
  assert.equal(rendered.get('production')!.filter((o) => o.kind === 'Secret'), [], 'secrets are created out of band');
  const runner = podSpec('production', 'DaemonSet', 'vm-host').containers.find((c: Container) => c.name === 'vm-runner') as Container;
  assert.is(envOf(runner, 'JOBMESH_ALLOW_HOST_JOBS')?.value, '0');
  // dev: the same API is never open either: a tokens file is mounted.
  const orchestrator = podSpec('dev', 'Deployment', 'orchestrator').containers[0] as Container;
  assert.ok(envOf(orchestrator, 'JOBMESH_TOKENS_FILE')?.value);
});

test.run();
