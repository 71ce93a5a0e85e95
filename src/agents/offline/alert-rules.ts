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

  // The monitoring pipeline's own plumbing, before the generic storage / config / latency words it uses.
  r('remote-write-behind', /\bremote write behind\b/, 'data', 'investigate', 'remote write is falling behind: samples may be lost if it does not catch up', ['remote-write queue and shard metrics', 'the remote endpoint health']),
  r('remote-write-shards', /\bremote write desired shards\b/, 'capacity', 'fix-config', 'remote write needs more shards than its queue configuration allows', ['queue_config max_shards', 'samples rate']),
  r('remote-storage', /\bremote (storage|write) (failures?|errors?)\b/, 'errors', 'investigate', 'samples fail to reach remote storage', ['remote endpoint errors', 'network path to the endpoint']),
  r('tsdb', /\b(tsdb|wal|compactions?|compactor|bucket index|block ?list|tenant index)\b/, 'data', 'investigate', 'the time-series database cannot reload, compact or index its blocks: data may be lost', ['storage engine logs', 'free space and block health']),
  r('not-connected-am', /\bnot connected to alertmanagers?\b|\btarget empty\b/, 'configuration', 'fix-config', 'the component has no Alertmanager (or targets) configured or discovered', ['alerting configuration', 'service discovery of the Alertmanagers']),
  r('missing-evaluations', /\b(missing rule evaluations|no rule evaluations|no evaluation for|rule no evaluation)\b/, 'latency', 'investigate', 'rule groups take longer than their interval to evaluate', ['slowest rule groups', 'query load']),
  r('config-reloader', /\bconfig reloader\b/, 'configuration', 'fix-config', 'the configuration reloader sidecar cannot reload the configuration', ['reloader logs', 'the last configuration change']),
  r('not-ingesting', /\bnot ingesting\b|\bno (new documents|records processed)\b/, 'errors', 'investigate', 'no new samples are being ingested', ['scrape targets', 'ingestion errors']),

  // Workloads.
  r('systemd-failed', /\bsystemd (service|unit) (failed|crashed|crash ?looping|inactive)|\bsystemd unit inactive\b|\bsystemd service crashed\b/, 'availability', 'restart-workload', 'a systemd service has failed', ['systemctl status and journal of the unit']),
  r('crash-loop', /\b(crash ?loop(ing)?|crashlooping|too many restarts)\b/, 'availability', 'restart-workload', 'a container keeps crashing on start or shortly after', POD_CHECKS),
  r('restarted', /\b(restart(s|ing|ed)?|container restarts|process restarted)\b/, 'availability', 'investigate', 'a process restarted', POD_CHECKS),
  r('oom', /\b(oom|oomkill(ed)?|out of memory)\b/, 'saturation', 'raise-limits', 'a container exceeded its memory limit and was killed', ['container memory usage against its limit', 'recent OOMKilled events', 'memory growth since the last deploy']),
  r('cpu-throttling', /\bcpu throttling\b|\bthrottl/, 'saturation', 'raise-limits', 'containers are CPU-throttled because their CPU limit is too low for their load', ['CPU usage against the limit', 'throttled periods per container']),
  r('pod-not-ready', /\b(pod not ready|container waiting|pod not healthy|pods? (pending|not running)|pod (is )?unhealthy|job not starting|container killed)\b/, 'availability', 'investigate', 'pods are not becoming ready (failed probes, pending scheduling, image pulls)', POD_CHECKS),
  r('rollout-stuck', /\b(rollout stuck|generation mismatch|update not rolled out)\b/, 'deployment', 'rollback-deploy', 'a rollout did not complete: the new version is not becoming available', ['rollout status and history', 'events of the new ReplicaSet', 'what changed in the last deploy']),
  r('deploy-state', /\b(daemon ?set (not scheduled|mis ?scheduled)|version mismatch|version deviations?|not synced|out of sync|helm ?release failure|kustomization failure|source issue|image issue)\b/, 'deployment', 'investigate', 'what runs differs from what was deployed', ['rollout status', 'sync status and events']),
  r('hpa-maxed', /\bhpa (maxed out|max(imum)?|scale maximum|scale inability)\b/, 'capacity', 'scale-out', 'the autoscaler is at its maximum replicas and cannot absorb more load', ['HPA metrics against targets', 'load trend']),
  r('hpa-mismatch', /\bhpa replicas mismatch\b/, 'capacity', 'add-capacity', 'the autoscaler cannot reach its desired replicas (quota or cluster capacity)', ['HPA status and events', 'pending pods']),
  r('replicas-mismatch', /\b(replicas mismatch|replicas? unavailable|stateful ?set replicas mismatch|deployment replicas)\b/, 'availability', 'investigate', 'fewer replicas are available than desired', POD_CHECKS),
  r('job-slow', /\b(job not completed|cron ?job too long|job (taking )?too long)\b/, 'latency', 'investigate', 'a job is taking longer than expected to complete', ['job pod logs', 'job history']),
  r('job-failed', /\b(job (failed|failure)|cron ?job (failed|failing)|job failed|backup failed|missed trigger)\b/, 'errors', 'rerun-job', 'a job failed', ['job pod logs', 'job events', 'the job history']),
  r('pdb', /\bpdb not enough healthy pods\b|\bdisruption budget\b/, 'availability', 'investigate', 'a disruption budget cannot be honoured: too few healthy pods', POD_CHECKS),

  // Capacity planning.
  r('overcommit', /\b(overcommit(ted)?|quota (almost full|fully used|exceeded)|too many pods|pods? limit|max pods|limit approaching|all task slots used|blocked evaluation|job queued|too many waiting)\b/, 'capacity', 'add-capacity', 'requested resources exceed what the cluster or quota allows', ['allocatable against requested resources', 'quota usage per namespace']),
  r('series-limit', /\b(reaching (series|tenants) limit|inflight requests high)\b/, 'capacity', 'scale-out', 'instances approach their per-instance limit: more are needed', ['per-instance load against limits']),

  // Storage.
  r('disk-io', /\b(disk (io|i ?o) saturation|io(wait)? (saturation|high)|disk (read|write) (rate|latency)|(read|write) latency|io utili[sz]ation)\b/, 'storage', 'investigate', 'the disk is saturated by I/O', ['I/O utilisation per device', 'processes doing the most I/O']),
  r('disk-failure', /\b(raid|disk failure|drive fault|disk offline|smart|volume errors|persistent volume errors|disk errors?)\b/, 'storage', 'investigate', 'a disk or volume is failing or degraded', ['RAID / device status', 'kernel logs for I/O errors']),
  r('disk-space', /\b(filesystem|file ?system|disk|volume|inodes?|persistent volume|pvc|storage|out of (space|files)|space (filling|usage|low)|files filling up|almost out of files)\b/, 'storage', 'free-disk', 'a filesystem or volume is running out of space or inodes', DISK_CHECKS),

  // Nodes.
  r('node-eviction', /\bnode (eviction|pressure)|\b(memory|disk|pid) pressure\b/, 'saturation', 'investigate', 'a node is under resource pressure and evicts pods', NODE_CHECKS),
  r('node-not-ready', /\b(node (not ready|unreachable|down|readiness flapping)|host (down|unreachable)|instance down)\b/, 'availability', 'investigate', 'a node is not ready or unreachable; its pods are unavailable', NODE_CHECKS),
  r('clock', /\b(clock (skew|not synchronising|not synchronizing|drift)|ntp|time (drift|sync))\b/, 'configuration', 'fix-config', 'the node clock drifts: time synchronisation is not working', ['NTP / chrony status', 'time offset per node']),
  r('file-descriptors', /\b(file descriptors?|fd limit|open (os )?files|descriptor limit)\b/, 'saturation', 'raise-limits', 'a process is close to its open-file limit', ['open descriptors per process', 'the ulimit / configured limit']),
  r('conntrack', /\b(conntrack|nf ?conntrack)\b/, 'network', 'fix-config', 'the connection-tracking table is nearly full; new connections may be dropped', ['conntrack entries against the limit', 'connection rates per source']),
  r('network', /\b(network|interface|nic|packet|packets|dns|bonding|bond|flapping link|link down|receive errs?|transmit errs?|tcp|udp|latency to|ping|bandwidth|speedtest|peers?|connection issues?|floating ip|not distributed)\b/, 'network', 'investigate', 'network errors or instability on an interface or path', ['interface error counters', 'DNS resolution from the affected pods', 'recent network changes']),

  // Control plane.
  r('control-plane', /\b(kube ?api|api ?server|apiserver|aggregated api|etcd|kube ?scheduler|scheduler down|controller ?manager|kubelet|pleg|kube ?proxy|kube client errors|api error budget|hpa metrics)\b/, 'control-plane', 'investigate', 'a Kubernetes control-plane component is failing or degraded', ['component health and logs', 'API server request errors and latency', 'etcd health']),

  // Configuration.
  r('config', /\b(bad config|config(uration)? (reload|inconsistent|error|failure)|failed (to )?reload|reload(s)? fail(ed|ing)?|config inconsistent|rule failures|rejected resources|sharding mismatch|misconfigur\w*|invalid (config|index)|label limit|sample limit|target limit|body size limit|target sync failure|runtime config|force recovery)\b/, 'configuration', 'fix-config', 'a configuration is invalid or failed to load', ['the component logs around the last reload', 'the last configuration change']),
  r('members-inconsistent', /\bmembers (inconsistent|count too low|mismatch)\b|\bring members\b/, 'availability', 'investigate', 'cluster members do not all see each other', ['cluster membership', 'member logs']),

  // Data.
  r('data', /\b(replication|replica lag|replica (broken|error)|slave|master|leader|split brain|backup|corrupt\w*|out of order|duplicate timestamps|data loss|checkpoint|consistency|inconsistent|under ?replicated|offline partitions?|missing backup|shards?|cluster (red|yellow)|pg (incomplete|inconsistent|activation)|bloat|vacuum\w*|analy[sz]ed|repair|offset decreased|topics replicas|index is empty|far in the future)\b/, 'data', 'investigate', 'data durability is at risk: replication, backups or storage engine are failing', ['replication status', 'last successful backup', 'storage engine logs']),

  // Availability words that would otherwise read as saturation or errors.
  r('no-capacity-left', /\b(no (available|alive|healthy) (replicas|workers|nodes)|no (node|nodes) online|no (queue )?consumers?|not enough connections|sealed|not quorate|quorum|out of service|outage|battery|low live node|availability drop|job lost|inactive exchange|low total request rate|commit rate low|membership degraded)\b/, 'availability', 'investigate', 'the service has no (or too few) working members to serve', ['membership and health of its members', 'its logs']),

  // Latency, then errors, then saturation by keyword.
  r('latency', /\b(latency|slow|duration|response time|lag|delay|delayed|stuck|timeouts?|behind|queue (time|wait)|p9[059]|too long|cache hit rate|tombstone|docs examined|scanning too many)\b/, 'latency', 'investigate', 'requests or operations are slower than their objective', ['latency percentiles by endpoint', 'downstream dependencies latency', 'recent deploys']),
  r('errors', /\b(errors?|errs|fail(ed|ing|ures?|s)?|5xx|4xx|rejected|dropped|panics?|exceptions?|unsuccessful|aborted|denied|invalid|dropping|deadlocks?|rollbacks|retry high|ejections|zombie|no successful|dispatches low|scrape stale|sync failed)\b/, 'errors', 'investigate', 'a component is failing part of its work', ['error rate by endpoint or operation', 'logs around the first errors', 'recent deploys and config changes']),
  r('heap', /\b(heap|jvm|gc|garbage|container memory|max ?memory|non heap)\b/, 'saturation', 'raise-limits', 'memory use is close to its configured limit', ['memory usage against the limit', 'GC activity', 'recent deploys (leaks)']),
  r('leak', /\b(leak|leaking)\b/, 'saturation', 'restart-workload', 'a process leaks memory or handles', ['memory growth since the last restart']),
  r('workers', /\b(workers? (busy|exhausted|saturated)|worker pool|pool (full|exhausted|near)|consumers? (lag|behind)|queue (full|nearly full|running full)|inflight)\b/, 'saturation', 'scale-out', 'more work than the current workers can absorb', ['worker or queue usage', 'incoming load trend']),
  r('saturation', /\b(memory|swap|mem|cpu|load|saturation|utili[sz]ation|usage|high|too many|connections?|sessions?|cursors?|threads?|goroutines?|queue|backlog|pool|exhausted|capacity|overload(ed)?|pending tasks|blocked tasks|context switching|rate|page faults|evictions?|subscriptions|locks?)\b/, 'saturation', 'investigate', 'a resource is running hot', ['resource usage and its trend', 'the largest consumers', 'incoming load']),

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
