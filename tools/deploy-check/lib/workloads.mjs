import { verdict } from './problems.mjs';

const name = (o) => `${o.kind}/${o.metadata?.name}`;

function podTemplate(object) {
  if (['Deployment', 'StatefulSet', 'Job', 'ReplicaSet'].includes(object.kind))
    return object.spec?.template;
  if (object.kind === 'CronJob') return object.spec?.jobTemplate?.spec?.template;
  return undefined;
}

const matches = (selector = {}, labels = {}) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

/**
 * The restricted Pod Security profile, Fargate's limits and the chart's own wiring:
 * every pod non-root on a read-only root with /tmp on an emptyDir, no capabilities, seccomp
 * RuntimeDefault, sized requests; no DaemonSet or hostPath; selectors and references resolve.
 */
export function checkWorkloads(objects, source) {
  const problems = [];
  const say = (object, message) => problems.push(`${source}: ${name(object)}: ${message}`);
  const byKind = (kind) => objects.filter((o) => o.kind === kind);
  const serviceAccounts = new Set(byKind('ServiceAccount').map((o) => o.metadata.name));
  const configMaps = new Set(byKind('ConfigMap').map((o) => o.metadata.name));
  const workloads = objects.filter((o) => podTemplate(o));

  for (const object of objects) {
    if (object.kind === 'DaemonSet') say(object, 'DaemonSets do not run on Fargate');
  }
  for (const workload of workloads) {
    const pod = podTemplate(workload).spec ?? {};
    const podContext = pod.securityContext ?? {};
    if (pod.hostNetwork || pod.hostPID || pod.hostIPC) say(workload, 'uses host namespaces');
    for (const volume of pod.volumes ?? []) {
      if (volume.hostPath) say(workload, `volume ${volume.name} is a hostPath`);
    }
    const account = pod.serviceAccountName ?? 'default';
    if (account !== 'default' && !serviceAccounts.has(account)) {
      say(workload, `service account ${account} is not rendered`);
    }
    if (pod.automountServiceAccountToken !== false)
      say(workload, 'mounts a Kubernetes API token it does not need');
    const emptyDirs = new Set((pod.volumes ?? []).filter((v) => v.emptyDir).map((v) => v.name));
    for (const container of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
      const context = container.securityContext ?? {};
      const where = `container ${container.name}`;
      if ((context.runAsNonRoot ?? podContext.runAsNonRoot) !== true)
        say(workload, `${where}: runAsNonRoot is not true`);
      if ((context.runAsUser ?? podContext.runAsUser) === 0)
        say(workload, `${where}: runs as uid 0`);
      if (context.readOnlyRootFilesystem !== true)
        say(workload, `${where}: readOnlyRootFilesystem is not true`);
      if (context.allowPrivilegeEscalation !== false)
        say(workload, `${where}: allowPrivilegeEscalation is not false`);
      if (context.privileged) say(workload, `${where}: is privileged`);
      if (!(context.capabilities?.drop ?? []).includes('ALL'))
        say(workload, `${where}: does not drop ALL capabilities`);
      if ((context.capabilities?.add ?? []).length > 0)
        say(workload, `${where}: adds capabilities`);
      const seccomp = context.seccompProfile?.type ?? podContext.seccompProfile?.type;
      if (seccomp !== 'RuntimeDefault')
        say(workload, `${where}: seccompProfile is not RuntimeDefault`);
      const tmp = (container.volumeMounts ?? []).find((m) => m.mountPath === '/tmp');
      if (!tmp || !emptyDirs.has(tmp.name)) say(workload, `${where}: /tmp is not an emptyDir`);
      const requests = container.resources?.requests ?? {};
      if (!requests.cpu || !requests.memory)
        say(workload, `${where}: Fargate sizes pods from cpu and memory requests`);
      if (!container.resources?.limits?.memory) say(workload, `${where}: no memory limit`);
      for (const from of container.envFrom ?? []) {
        if (from.configMapRef && !configMaps.has(from.configMapRef.name)) {
          say(workload, `${where}: ConfigMap ${from.configMapRef.name} is not rendered`);
        }
      }
    }
  }

  const api = workloads.find(
    (o) => o.kind === 'Deployment' && o.metadata.labels?.['app.kubernetes.io/component'] === 'api',
  );
  if (!api) {
    problems.push(`${source}: no api Deployment`);
  } else {
    const container = podTemplate(api).spec.containers[0];
    if (container.livenessProbe?.httpGet?.path !== '/health')
      say(api, 'liveness probe is not GET /health');
    if (container.readinessProbe?.httpGet?.path !== '/ready')
      say(api, 'readiness probe is not GET /ready');
  }
  const job = byKind('Job').find(
    (o) => o.metadata.labels?.['app.kubernetes.io/component'] === 'migrate',
  );
  if (job) {
    const hooks = (job.metadata.annotations?.['helm.sh/hook'] ?? '').split(',');
    if (!hooks.includes('pre-install') || !hooks.includes('pre-upgrade'))
      say(job, 'is not a pre-install,pre-upgrade hook');
    if (podTemplate(job).spec.restartPolicy !== 'Never') say(job, 'restartPolicy should be Never');
  }

  const podLabels = workloads.map((w) => podTemplate(w).metadata?.labels ?? {});
  for (const service of byKind('Service')) {
    if (!podLabels.some((labels) => matches(service.spec?.selector, labels)))
      say(service, 'selects no pod');
  }
  for (const budget of byKind('PodDisruptionBudget')) {
    if (!podLabels.some((labels) => matches(budget.spec?.selector?.matchLabels, labels)))
      say(budget, 'selects no pod');
  }
  for (const policy of byKind('NetworkPolicy')) {
    if (!podLabels.some((labels) => matches(policy.spec?.podSelector?.matchLabels, labels)))
      say(policy, 'selects no pod');
    for (const rule of policy.spec?.egress ?? []) {
      if (!rule.to || rule.to.length === 0) say(policy, 'has an egress rule open to everything');
    }
  }
  for (const hpa of byKind('HorizontalPodAutoscaler')) {
    const target = hpa.spec.scaleTargetRef;
    if (!objects.some((o) => o.kind === target.kind && o.metadata.name === target.name))
      say(hpa, `targets missing ${target.kind}/${target.name}`);
    const deployment = objects.find(
      (o) => o.kind === target.kind && o.metadata.name === target.name,
    );
    if (deployment?.spec?.replicas !== undefined)
      say(hpa, `${target.name} also sets spec.replicas, which fights the HPA`);
  }
  for (const ingress of byKind('Ingress')) {
    const annotations = ingress.metadata.annotations ?? {};
    for (const key of ['certificate-arn', 'ssl-redirect', 'target-type', 'listen-ports']) {
      if (!annotations[`alb.ingress.kubernetes.io/${key}`])
        say(ingress, `missing alb.ingress.kubernetes.io/${key}`);
    }
    if (annotations['alb.ingress.kubernetes.io/target-type'] !== 'ip')
      say(ingress, 'Fargate needs target-type ip');
    for (const rule of ingress.spec.rules ?? []) {
      for (const p of rule.http?.paths ?? []) {
        const backend = p.backend.service;
        const service = byKind('Service').find((s) => s.metadata.name === backend.name);
        if (!service) say(ingress, `backend service ${backend.name} is not rendered`);
        else if (
          backend.port.name &&
          !service.spec.ports.some((port) => port.name === backend.port.name)
        ) {
          say(ingress, `service ${backend.name} has no port named ${backend.port.name}`);
        }
      }
    }
  }
  return verdict(problems, `${workloads.length} workloads`);
}
