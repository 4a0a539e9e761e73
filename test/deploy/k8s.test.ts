// deploy/k8s: every overlay renders with `kubectl kustomize` and passes the offline checks (Kubernetes schemas, our
// strict unknown-field walk, the workload rules); each check catches what it is for (a misspelled field, a wrong
// type, a missing probe); and the manifests say what the README promises (headless trainers followed by the
// controller, one controller replica on a ReadWriteOnce volume, the gpu and tls overlays' changes).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { OVERLAYS_DIR } from '../../deploy/k8s/check/main.ts';
import { policyProblems } from '../../deploy/k8s/check/policy.ts';
import { render, schemaProblems, unknownFieldProblems, type K8sObject } from '../../deploy/k8s/check/validate.ts';

const kubectl = process.env['KUBECTL'] ?? 'kubectl';
const haveKubectl = spawnSync(kubectl, ['version', '--client'], { encoding: 'utf8' }).status === 0;
// CI installs a kubectl (.ci/run); elsewhere the test says why it did not run
const skip = !haveKubectl && process.env['CI'] !== 'true' ? 'no kubectl on PATH (Debian: kubernetes-client)' : false;

const overlays: Record<string, K8sObject[]> = {};
const find = (objs: K8sObject[], kind: string, name: string): any => {
  const o = objs.find((x) => x.kind === kind && x.metadata?.name === name);
  assert.ok(o, `${kind}/${name} is rendered`);
  return o;
};
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe('deploy/k8s', { skip }, () => {
  before(() => {
    for (const name of ['cpu', 'gpu', 'tls']) overlays[name] = render(join(OVERLAYS_DIR, name));
  });

  it('every overlay validates against the Kubernetes schemas and keeps the workload rules', async () => {
    for (const [name, objs] of Object.entries(overlays)) {
      assert.deepEqual(await schemaProblems(objs), [], `${name}: schema`);
      assert.deepEqual(policyProblems(objs), [], `${name}: rules`);
    }
  });

  it('has no unknown field anywhere, and the strict check finds a misspelled one', () => {
    const bad = clone(find(overlays['tls']!, 'Deployment', 'tgsage-trainer'));
    bad.spec.template.spec.containers[0].readinesProbe = bad.spec.template.spec.containers[0].readinessProbe;
    delete bad.spec.template.spec.containers[0].readinessProbe;
    const cert = clone(find(overlays['tls']!, 'Certificate', 'tgsage-scorer'));
    cert.spec.dnsName = cert.spec.dnsNames;
    // one TypeScript program for everything (it is the slow part)
    const problems = unknownFieldProblems([...overlays['cpu']!, ...overlays['gpu']!, ...overlays['tls']!, bad, cert]);
    assert.deepEqual(
      problems.map((p) => `${p.object}${p.path}`).sort(),
      ['Certificate/tgsage-scorer.spec.dnsName', 'Deployment/tgsage-trainer.spec.template.spec.containers[0].readinesProbe'],
    );
    // ... which the schema check alone would have let through
    return schemaProblems([bad]).then((p) => assert.deepEqual(p, []));
  });

  it('the schema check finds a wrong type, the rules a missing probe, a short probe timeout, limit or securityContext', async () => {
    const d = clone(find(overlays['cpu']!, 'Deployment', 'tgsage-scorer'));
    d.spec.replicas = 'two';
    assert.match((await schemaProblems([d]))[0]?.message ?? '', /replicas must be integer/);
    const c = d.spec.template.spec.containers[0];
    delete c.livenessProbe;
    delete c.readinessProbe.timeoutSeconds; // Kubernetes' default, 1 s
    delete c.resources.limits.memory;
    c.securityContext.readOnlyRootFilesystem = false;
    d.spec.template.spec.automountServiceAccountToken = true;
    assert.deepEqual(policyProblems([d]).map((p) => p.path).sort(), [
      '.spec.template.spec.automountServiceAccountToken',
      '.spec.template.spec.containers[scorer].livenessProbe',
      '.spec.template.spec.containers[scorer].readinessProbe.timeoutSeconds',
      '.spec.template.spec.containers[scorer].resources.limits.memory',
      '.spec.template.spec.containers[scorer].securityContext.readOnlyRootFilesystem',
    ]);
  });

  it('says what the README promises', () => {
    const cpu = overlays['cpu']!;
    assert.ok(cpu.every((o) => o.kind === 'Namespace' || (o.metadata as { namespace?: string }).namespace === 'tgsage'));
    assert.equal(find(cpu, 'Service', 'tgsage-trainer').spec.clusterIP, 'None');
    const ctl = find(cpu, 'StatefulSet', 'tgsage-search-controller');
    assert.equal(ctl.spec.replicas, 1);
    assert.deepEqual(ctl.spec.volumeClaimTemplates[0].spec.accessModes, ['ReadWriteOnce']);
    const args: string[] = ctl.spec.template.spec.containers[0].args;
    assert.equal(args[args.indexOf('--trainers') + 1], 'dns:///tgsage-trainer:50053');
    assert.ok(find(cpu, 'StatefulSet', 'tgsage-teacher-cache').spec.volumeClaimTemplates[0]);
    assert.ok(find(cpu, 'Deployment', 'tgsage-scorer').spec.replicas >= 2);
    assert.equal(find(cpu, 'HorizontalPodAutoscaler', 'tgsage-scorer').spec.minReplicas, 2);
    for (const name of ['tgsage-scorer', 'tgsage-trainer']) assert.ok(find(cpu, 'PodDisruptionBudget', name));
    assert.equal(find(cpu, 'ServiceAccount', 'tgsage').automountServiceAccountToken, false);
    const gpuTrainer = find(overlays['gpu']!, 'Deployment', 'tgsage-trainer').spec.template.spec;
    assert.equal(gpuTrainer.containers[0].resources.limits['nvidia.com/gpu'], 1);
    assert.ok(gpuTrainer.tolerations.some((t: { key: string }) => t.key === 'nvidia.com/gpu'));
    assert.ok(gpuTrainer.containers[0].args.includes('webgpu'));
    const tls = overlays['tls']!;
    for (const kind of ['StatefulSet', 'Deployment']) {
      for (const w of tls.filter((o) => o.kind === kind) as any[]) {
        const env = Object.fromEntries(w.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
        assert.equal(env.TGSAGE_TLS_CLIENT_AUTH, 'require', w.metadata.name);
        assert.ok(env.TGSAGE_TLS_CERT && env.TGSAGE_TLS_KEY && env.TGSAGE_TLS_CA && env.TGSAGE_AUTH_FILE && env.TGSAGE_TOKEN_FILE);
        const secret = w.spec.template.spec.volumes.find((v: any) => v.name === 'tls').secret.secretName;
        assert.ok(find(tls, 'Certificate', secret.replace(/-tls$/, '')));
      }
    }
  });
});
