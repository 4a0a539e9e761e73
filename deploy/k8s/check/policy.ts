// Rules every tgsage workload keeps, checked on the rendered manifests: each container has readiness and liveness
// probes, CPU and memory requests and limits, and the restricted securityContext (no privilege escalation, read-only
// root filesystem, every capability dropped); each pod runs as non-root with seccomp RuntimeDefault and no service
// account token; each pod is announced to Prometheus; probes wait long enough for a busy service to answer.
import type { K8sObject, Problem } from './validate.ts';

/**
 * Shortest probe timeout allowed (seconds). A service computing on its main thread (the teacher cache installing the
 * shipped teachers after it starts serving, a trainer mid-step) answered its health check in over 2 s in the container
 * test on 2 busy cores; Kubernetes' default of 1 s would restart a healthy pod mid-work.
 */
export const MIN_PROBE_TIMEOUT_SECONDS = 5;

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job']);

interface Container {
  name?: string;
  readinessProbe?: { timeoutSeconds?: number };
  livenessProbe?: { timeoutSeconds?: number };
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  securityContext?: {
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    runAsNonRoot?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
  };
}

interface PodTemplate {
  metadata?: { annotations?: Record<string, string> };
  spec?: {
    automountServiceAccountToken?: boolean;
    securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type?: string } };
    containers?: Container[];
    initContainers?: Container[];
  };
}

export function policyProblems(objects: readonly K8sObject[]): Problem[] {
  const problems: Problem[] = [];
  for (const o of objects) {
    if (!WORKLOADS.has(o.kind)) continue;
    const object = `${o.kind}/${o.metadata?.name ?? '?'}`;
    const add = (path: string, message: string): void => void problems.push({ object, path, message });
    const template = (o['spec'] as { template?: PodTemplate } | undefined)?.template;
    const pod = template?.spec;
    if (!pod) {
      add('.spec.template.spec', 'no pod template');
      continue;
    }
    if (pod.automountServiceAccountToken !== false) add('.spec.template.spec.automountServiceAccountToken', 'must be false');
    if (pod.securityContext?.runAsNonRoot !== true) add('.spec.template.spec.securityContext.runAsNonRoot', 'must be true');
    if (pod.securityContext?.seccompProfile?.type !== 'RuntimeDefault') {
      add('.spec.template.spec.securityContext.seccompProfile.type', 'must be RuntimeDefault');
    }
    const ann = template.metadata?.annotations ?? {};
    if (ann['prometheus.io/scrape'] !== 'true' || !ann['prometheus.io/port']) {
      add('.spec.template.metadata.annotations', 'prometheus.io/scrape and prometheus.io/port are missing');
    }
    const containers = [...(pod.containers ?? []), ...(pod.initContainers ?? [])];
    if (containers.length === 0) add('.spec.template.spec.containers', 'no containers');
    for (const c of containers) {
      const at = `.spec.template.spec.containers[${c.name ?? '?'}]`;
      if (!pod.initContainers?.includes(c)) {
        for (const probe of ['readinessProbe', 'livenessProbe'] as const) {
          if (!c[probe]) add(`${at}.${probe}`, 'missing');
          else if ((c[probe].timeoutSeconds ?? 1) < MIN_PROBE_TIMEOUT_SECONDS) {
            add(`${at}.${probe}.timeoutSeconds`, `must be at least ${MIN_PROBE_TIMEOUT_SECONDS} (a busy service answers slowly)`);
          }
        }
      }
      for (const kind of ['requests', 'limits'] as const) {
        for (const r of ['cpu', 'memory']) {
          if (c.resources?.[kind]?.[r] === undefined) add(`${at}.resources.${kind}.${r}`, 'missing');
        }
      }
      const sc = c.securityContext;
      if (sc?.allowPrivilegeEscalation !== false) add(`${at}.securityContext.allowPrivilegeEscalation`, 'must be false');
      if (sc?.readOnlyRootFilesystem !== true) add(`${at}.securityContext.readOnlyRootFilesystem`, 'must be true');
      if (!sc?.capabilities?.drop?.includes('ALL')) add(`${at}.securityContext.capabilities.drop`, 'must include ALL');
      if (sc?.capabilities?.add?.length) add(`${at}.securityContext.capabilities.add`, 'must be empty');
    }
  }
  return problems;
}
