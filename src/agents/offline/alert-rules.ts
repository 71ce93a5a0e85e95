import type { Category, Remediation } from '../taxonomy.ts';

/**
 * What an alert means, by its name: the offline triage's knowledge. An alert's name is split into
 * lower-case words (`KubePodCrashLooping` → `kube pod crash looping`) and the first rule whose
 * pattern matches wins, so specific rules come before generic ones. When no rule matches the
 * name, the same rules are tried on the summary and description, with less confidence.
 */
export interface AlertRule {
  id: string;
  pattern: RegExp;
  category: Category;
  remediation: Remediation;
  /** The most likely cause, as a human would say it. */
  cause: string;
  /** What to look at first. */
  checks: string[];
}

const POD_CHECKS = ['pod status and restart counts', 'container logs (current and previous)', 'recent events in the namespace'];
const NODE_CHECKS = ['node conditions', 'node events', 'kubelet and system logs on the node'];
const DISK_CHECKS = ['filesystem usage by directory', 'largest and fastest-growing files', 'volume size and growth over the last hours'];

const r = (id: string, pattern: RegExp, category: Category, remediation: Remediation, cause: string, checks: string[]): AlertRule => ({
  id,
  pattern,
  category,
  remediation,
  cause,
  checks,
});

export const ALERT_RULES: readonly AlertRule[] = [
  // Meta alerts: the pipeline's heartbeat and the inhibitor; nothing is wrong.
  r('watchdog', /^(watchdog|info inhibitor|dead ?mans? ?switch)$/, 'other', 'none', 'a heartbeat alert that always fires to prove the alerting pipeline works', []),

  // Certificates before anything else: "kubelet client certificate renewal errors" is about certificates.
  r('certificate', /\b(cert|certs|certificate|certificates|tls|ssl|x509)\b/, 'certificate', 'renew-certificate', 'a certificate is about to expire or failed to renew', ['certificate expiry dates', 'the issuer or renewal job logs']),

  // Workloads.
  r('crash-loop', /\b(crash ?loop(ing)?|crashlooping|restart(s|ing|ed)?|too many restarts|container restarts|process restarted)\b/, 'availability', 'restart-workload', 'a container keeps crashing on start or shortly after', POD_CHECKS),
  r('oom', /\b(oom|oomkill(ed)?|out of memory)\b/, 'saturation', 'raise-limits', 'a container exceeded its memory limit and was killed', ['container memory usage against its limit', 'recent OOMKilled events', 'memory growth since the last deploy']),
  r('cpu-throttling', /\bcpu throttling\b|\bthrottl/, 'saturation', 'raise-limits', 'containers are CPU-throttled because their CPU limit is too low for their load', ['CPU usage against the limit', 'throttled periods per container']),
  r('pod-not-ready', /\b(pod not ready|container waiting|pod not healthy|pods? (pending|not running)|pod (is )?unhealthy)\b/, 'availability', 'investigate', 'pods are not becoming ready (failed probes, pending scheduling, image pulls)', POD_CHECKS),
  r('rollout', /\b(rollout stuck|generation mismatch|update not rolled out|daemon ?set (not scheduled|mis ?scheduled|rollout)|version mismatch|not synced|out of sync|sync(hronization)? failed|helm ?release failure|kustomization failure)\b/, 'deployment', 'rollback-deploy', 'a rollout did not complete: the new version is not becoming available', ['rollout status and history', 'events of the new ReplicaSet', 'what changed in the last deploy']),
  r('replicas-mismatch', /\b(replicas mismatch|replicas? unavailable|stateful ?set replicas mismatch|deployment replicas)\b/, 'availability', 'investigate', 'fewer replicas are available than desired', POD_CHECKS),
  r('hpa-maxed', /\b(hpa (maxed out|max(imum)? replicas)|(hpa|autoscal\w*) .*max)\b/, 'capacity', 'scale-out', 'the autoscaler is at its maximum replicas and cannot absorb more load', ['HPA metrics against targets', 'load trend']),
  r('hpa-mismatch', /\bhpa replicas mismatch\b/, 'capacity', 'investigate', 'the autoscaler has not reached its desired replicas (quota, scheduling or metrics)', ['HPA status and events', 'pending pods']),
  r('job-failed', /\b(job (failed|not completed|failure)|cron ?job (failed|failing)|job failed|backup failed)\b/, 'errors', 'rerun-job', 'a job failed or did not complete in time', ['job pod logs', 'job events', 'the job history']),
  r('pdb', /\bpdb not enough healthy pods\b|\bdisruption budget\b/, 'availability', 'investigate', 'a disruption budget cannot be honoured: too few healthy pods', POD_CHECKS),

  // Capacity planning.
  r('overcommit', /\b(overcommit(ted)?|quota (almost full|fully used|exceeded)|too many pods|pods? limit|max pods)\b/, 'capacity', 'add-capacity', 'requested resources exceed what the cluster or quota allows', ['allocatable against requested resources', 'quota usage per namespace']),

  // Storage.
  r('disk-io', /\b(disk (io|i ?o) saturation|io(wait)? (saturation|high)|disk (read|write) (rate|latency)|(read|write) latency|io utili[sz]ation)\b/, 'storage', 'investigate', 'the disk is saturated by I/O', ['I/O utilisation per device', 'processes doing the most I/O']),
  r('disk-failure', /\b(raid|disk failure|drive fault|disk offline|smart|volume errors|persistent volume errors|disk errors?)\b/, 'storage', 'investigate', 'a disk or volume is failing or degraded', ['RAID / device status', 'kernel logs for I/O errors']),
  r('disk-space', /\b(filesystem|file ?system|disk|volume|inodes?|persistent volume|pvc|storage|out of (space|files)|space (filling|usage|low)|files filling up|almost out of files)\b/, 'storage', 'free-disk', 'a filesystem or volume is running out of space or inodes', DISK_CHECKS),

  // Nodes.
  r('node-not-ready', /\b(node (not ready|unreachable|down|readiness flapping)|host (down|unreachable)|instance down|node eviction)\b/, 'availability', 'investigate', 'a node is not ready or unreachable; its pods are being evicted or are unavailable', NODE_CHECKS),
  r('node-pressure', /\b(node (memory|disk|pid)? ?pressure|memory pressure|pid pressure)\b/, 'saturation', 'investigate', 'a node is under resource pressure and may evict pods', NODE_CHECKS),
  r('clock', /\b(clock (skew|not synchronising|not synchronizing|drift)|ntp|time (drift|sync))\b/, 'configuration', 'fix-config', 'the node clock drifts: time synchronisation is not working', ['NTP / chrony status', 'time offset per node']),
  r('file-descriptors', /\b(file descriptors?|fd limit|open (os )?files|descriptor limit)\b/, 'saturation', 'raise-limits', 'a process is close to its open-file limit', ['open descriptors per process', 'the ulimit / configured limit']),
  r('conntrack', /\b(conntrack|nf ?conntrack)\b/, 'network', 'investigate', 'the connection-tracking table is nearly full; new connections may be dropped', ['conntrack entries against the limit', 'connection rates per source']),
  r('network', /\b(network|interface|nic|packet|packets|dns|bonding|bond|flapping link|link down|receive errs?|transmit errs?|tcp|udp|latency to|ping|bandwidth|speedtest)\b/, 'network', 'investigate', 'network errors or instability on an interface or path', ['interface error counters', 'DNS resolution from the affected pods', 'recent network changes']),

  // Control plane.
  r('control-plane', /\b(kube ?api|api ?server|apiserver|aggregated api|etcd|kube ?scheduler|scheduler down|controller ?manager|kubelet|pleg|kube ?proxy|kube client errors|api error budget)\b/, 'control-plane', 'investigate', 'a Kubernetes control-plane component is failing or degraded', ['component health and logs', 'API server request errors and latency', 'etcd health']),

  // Configuration.
  r('config', /\b(bad config|config(uration)? (reload|inconsistent|error|failure)|failed (to )?reload|reload(s)? fail(ed|ing)?|config inconsistent|members inconsistent|rule failures|rejected resources|sharding mismatch|misconfigur\w*|invalid (config|index)|missing rule evaluations|label limit|sample limit|target limit|body size limit|sync failure|sd refresh failure)\b/, 'configuration', 'fix-config', 'a configuration is invalid or failed to load', ['the component logs around the last reload', 'the last configuration change']),

  // Data.
  r('data', /\b(replication|replica lag|replica (broken|error)|slave|master|leader|split brain|backup|corrupt\w*|compaction|wal|tsdb|out of order|duplicate timestamps|data loss|checkpoint|consistency|under ?replicated|offline partitions?|missing backup)\b/, 'data', 'investigate', 'data durability is at risk: replication, backups or storage engine are failing', ['replication status', 'last successful backup', 'storage engine logs']),

  // Latency, then errors, then saturation by keyword.
  r('latency', /\b(latency|slow|duration|response time|lag|delay|delayed|stuck|timeouts?|behind|queue (time|wait)|p9[059])\b/, 'latency', 'investigate', 'requests or operations are slower than their objective', ['latency percentiles by endpoint', 'downstream dependencies latency', 'recent deploys']),
  r('errors', /\b(errors?|errs|fail(ed|ing|ures?|s)?|5xx|4xx|rejected|dropped|panics?|exceptions?|unsuccessful|aborted|denied|invalid|dropping)\b/, 'errors', 'investigate', 'a component is failing part of its work', ['error rate by endpoint or operation', 'logs around the first errors', 'recent deploys and config changes']),
  r('memory', /\b(memory|heap|gc|garbage|swap|mem)\b/, 'saturation', 'raise-limits', 'memory use is close to its limit', ['memory usage trend', 'the largest consumers', 'recent deploys (leaks)']),
  r('cpu', /\b(cpu|load|saturation|utili[sz]ation|usage high|high usage|too many connections|connections? (limit|exhausted|high)|threads?|goroutines?|queue (full|size|length)|backlog|pool|workers? (busy|exhausted)|exhausted|capacity|overload(ed)?)\b/, 'saturation', 'scale-out', 'a resource is running hot: more work than the current replicas can absorb', ['resource usage per replica', 'incoming load trend']),

  // Down last: "... down" after the specific components above.
  r('down', /\b(down|unreachable|unavailable|absent|missing|not (ready|running|up|healthy|ok)|unhealthy|dead|died|no (alive|leader|healthy)|offline|stopped|failed to start|health ?check|probe failed|target down|service status)\b/, 'availability', 'investigate', 'a component is down or not answering its health checks', ['whether the process or pods are running', 'its logs', 'network reachability from the monitor']),
];

/** `KubePodCrashLooping` → `kube pod crash looping`; `NodeRAIDDegraded` → `node raid degraded`. */
export function nameWords(alertname: string): string {
  return alertname
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/[_\-.:/]+/g, ' ')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

export interface RuleMatch {
  rule: AlertRule;
  /** Matched on the alert's name (more reliable) or only on its summary / description. */
  on: 'name' | 'text';
}

export function matchAlertRule(alertname: string, text: string): RuleMatch | undefined {
  const words = nameWords(alertname);
  const byName = ALERT_RULES.find((rule) => rule.pattern.test(words));
  if (byName) return { rule: byName, on: 'name' };
  const lowered = text.toLowerCase();
  const byText = ALERT_RULES.find((rule) => rule.id !== 'watchdog' && rule.pattern.test(lowered));
  return byText ? { rule: byText, on: 'text' } : undefined;
}
