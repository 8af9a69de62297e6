/**
 * The paved-road blueprints behind `sextant init`: for each kind of service, the SLIs
 * that say whether it serves its users, SLOs scaled to the service tier, and the
 * resources that run out first. Metric names are those of the standard exporters
 * (Prometheus client libraries, cAdvisor, kube-state-metrics, node_exporter,
 * postgres_exporter, redis_exporter, OpenTelemetry semantic conventions).
 */

import type { z } from 'zod';
import type { CatalogSchemas, Tier } from '../catalog/index.ts';

/** The archetypes `sextant init` knows, with the one-line meaning shown in prompts. */
export const ARCHETYPES = {
  'http-service': 'HTTP server (web app or API) behind a load balancer',
  worker: 'background job processor fed by a queue',
  database: 'PostgreSQL database (postgres_exporter)',
  cache: 'Redis cache (redis_exporter)',
} as const;

export type Archetype = keyof typeof ARCHETYPES;

/**
 * Objectives by tier, in percent, over a rolling 28-day window (four whole weeks, so
 * every window holds the same mix of weekdays and weekends):
 *
 * | tier     | availability | latency and lag |
 * |----------|--------------|-----------------|
 * | critical | 99.95        | 99.9            |
 * | high     | 99.9         | 99.5            |
 * | medium   | 99.5         | 99              |
 * | low      | 99           | 98              |
 *
 * Latency objectives sit one step lower: the apdex already forgives slow requests by
 * counting tolerated ones half, and latency SLIs are noisier than error counts.
 * 99.95 % over 28 days allows 20.16 minutes of full outage; 99 % allows 6.72 hours.
 */
export const TIER_OBJECTIVES: Readonly<
  Record<Tier, { availabilityPercent: number; latencyPercent: number }>
> = {
  critical: { availabilityPercent: 99.95, latencyPercent: 99.9 },
  high: { availabilityPercent: 99.9, latencyPercent: 99.5 },
  medium: { availabilityPercent: 99.5, latencyPercent: 99 },
  low: { availabilityPercent: 99, latencyPercent: 98 },
};

/** The SLO window every scaffold uses; see TIER_OBJECTIVES. */
export const SCAFFOLD_WINDOW = '28d';

type SliInput = z.input<CatalogSchemas['sli']>;
type SloInput = z.input<CatalogSchemas['slo']>;
type SaturationInput = z.input<CatalogSchemas['saturationPoint']>;

/** An item of a generated list, with the comment written above it. */
export type Commented<T> = { comment: string; value: T };

/** What an archetype contributes to a service manifest. */
export interface Blueprint {
  /** Extra lines for the file header: what the selectors assume. */
  assumptions: string;
  slis: Commented<SliInput>[];
  slos: Commented<SloInput>[];
  saturationPoints: Commented<SaturationInput>[];
}

/** Values a blueprint is built from, already validated. */
export interface BlueprintInput {
  name: string;
  tier: Tier;
  /** Prometheus `job` label of the service's own metrics. */
  job: string;
}

/** Builds the SLIs, SLOs and saturation points of one archetype. */
export function blueprint(archetype: Archetype, input: BlueprintInput): Blueprint {
  return BLUEPRINTS[archetype](input);
}

const BLUEPRINTS: Record<Archetype, (input: BlueprintInput) => Blueprint> = {
  'http-service': httpService,
  worker,
  database,
  cache,
};

/** A PromQL label matcher value: double-quoted with PromQL's (Go's) escapes. */
function q(value: string): string {
  return JSON.stringify(value);
}

function slo(name: string, sli: string, objectivePercent: number): SloInput {
  return { name, sli, objectivePercent, window: SCAFFOLD_WINDOW };
}

function tierComment(tier: Tier, kind: 'availability' | 'latency'): string {
  const { availabilityPercent, latencyPercent } = TIER_OBJECTIVES[tier];
  return `${kind === 'availability' ? availabilityPercent : latencyPercent} % over ${SCAFFOLD_WINDOW}: the ${kind} objective of a ${tier}-tier service`;
}

/** Container CPU and memory against their limits, per pod, from cAdvisor and kube-state-metrics. */
function containerSaturation(container: string): Commented<SaturationInput>[] {
  const c = q(container);
  return [
    {
      comment: 'CPU used over the CPU limit of the busiest pod; the kernel throttles at the limit.',
      value: {
        name: 'cpu',
        utilization: {
          promql: `max(sum by (pod) (rate(container_cpu_usage_seconds_total{container=${c}}[$window])) / sum by (pod) (kube_pod_container_resource_limits{container=${c},resource="cpu"}))`,
        },
        soft: 0.8,
        hard: 0.95,
        horizontallyScalable: true,
        forecast: { history: '28d', horizon: '90d', method: 'holt-winters' },
      },
    },
    {
      comment: 'Working set over the memory limit of the fullest pod; the pod is OOM-killed at the limit.',
      value: {
        name: 'memory',
        utilization: {
          promql: `max(max by (pod) (max_over_time(container_memory_working_set_bytes{container=${c}}[$window])) / max by (pod) (kube_pod_container_resource_limits{container=${c},resource="memory"}))`,
        },
        soft: 0.8,
        hard: 0.95,
        horizontallyScalable: true,
      },
    },
  ];
}

/** Host CPU and data-disk usage from node_exporter, for stateful services on their own nodes. */
function nodeSaturation(job: string, mountpoint: string): Commented<SaturationInput>[] {
  const j = q(job);
  const m = q(mountpoint);
  return [
    {
      comment: `Data volume usage on the fullest node (node_exporter; set mountpoint to your data directory's).`,
      value: {
        name: 'disk',
        utilization: {
          promql: `max(1 - min_over_time(node_filesystem_avail_bytes{job=${j},mountpoint=${m}}[$window]) / node_filesystem_size_bytes{job=${j},mountpoint=${m}})`,
        },
        soft: 0.75,
        hard: 0.9,
        horizontallyScalable: false,
        forecast: { history: '28d', horizon: '90d', method: 'linear' },
      },
    },
    {
      comment: 'CPU busy share of the busiest node.',
      value: {
        name: 'cpu',
        utilization: {
          promql: `max(1 - avg by (instance) (rate(node_cpu_seconds_total{job=${j},mode="idle"}[$window])))`,
        },
        soft: 0.7,
        hard: 0.9,
        horizontallyScalable: false,
      },
    },
  ];
}

function httpService({ tier, job }: BlueprintInput): Blueprint {
  const j = q(job);
  const { availabilityPercent, latencyPercent } = TIER_OBJECTIVES[tier];
  return {
    assumptions: `Prometheus scrapes the service as job=${j} (http_requests_total,\nhttp_request_duration_seconds) and its pods run a container named ${j}.`,
    slis: [
      {
        comment:
          "Availability: requests answered without a server error (5xx). A 4xx is the client's\ndoing and counts as good.",
        value: {
          name: 'requests',
          kind: 'ratio',
          bad: { selector: `http_requests_total{job=${j},code=~"5.."}` },
          total: { selector: `http_requests_total{job=${j}}` },
        },
      },
      {
        comment:
          'Apdex: requests served within 0.25 s satisfy, within 1 s (4x) count half. Both are bucket\nbounds of the default Prometheus histogram; thresholds must be bounds of yours.',
        value: {
          name: 'latency',
          kind: 'latency',
          histogram: `http_request_duration_seconds{job=${j}}`,
          satisfiedSeconds: 0.25,
          toleratedSeconds: 1,
        },
      },
    ],
    slos: [
      {
        comment: tierComment(tier, 'availability'),
        value: slo('availability', 'requests', availabilityPercent),
      },
      { comment: tierComment(tier, 'latency'), value: slo('latency', 'latency', latencyPercent) },
    ],
    saturationPoints: containerSaturation(job),
  };
}

function worker({ tier, job }: BlueprintInput): Blueprint {
  const j = q(job);
  const { availabilityPercent, latencyPercent } = TIER_OBJECTIVES[tier];
  return {
    assumptions: `Prometheus scrapes the worker as job=${j} and its pods run a container\nnamed ${j}. Rename worker_* to your framework's metrics (sidekiq_jobs_failed_total, ...).`,
    slis: [
      {
        comment: 'Jobs that finish without an error, retries included (each attempt counts once).',
        value: {
          name: 'job-success',
          kind: 'ratio',
          bad: { selector: `worker_jobs_total{job=${j},outcome="failure"}` },
          total: { selector: `worker_jobs_total{job=${j}}` },
        },
      },
      {
        comment:
          "Queueing apdex: jobs started within 2.5 s of being enqueued satisfy, within 10 s count half.\nUsers wait for the queue, not for the worker's CPU. Thresholds must be bucket bounds of the\nhistogram (both are bounds of the default Prometheus buckets).",
        value: {
          name: 'queue-latency',
          kind: 'latency',
          histogram: `worker_job_queue_duration_seconds{job=${j}}`,
          satisfiedSeconds: 2.5,
          toleratedSeconds: 10,
        },
      },
    ],
    slos: [
      {
        comment: tierComment(tier, 'availability'),
        value: slo('job-success', 'job-success', availabilityPercent),
      },
      { comment: tierComment(tier, 'latency'), value: slo('queue-latency', 'queue-latency', latencyPercent) },
    ],
    saturationPoints: [
      {
        comment: 'Jobs running over the configured concurrency: at 1 the queue only grows.',
        value: {
          name: 'concurrency',
          utilization: {
            promql: `sum(avg_over_time(worker_jobs_running{job=${j}}[$window])) / sum(worker_concurrency{job=${j}})`,
          },
          soft: 0.8,
          hard: 0.95,
          horizontallyScalable: true,
          forecast: { history: '28d', horizon: '90d', method: 'holt-winters' },
        },
      },
      ...containerSaturation(job),
    ],
  };
}

function database({ name, tier, job }: BlueprintInput): Blueprint {
  const j = q(job);
  const { availabilityPercent, latencyPercent } = TIER_OBJECTIVES[tier];
  return {
    assumptions: `postgres_exporter and node_exporter are scraped as job=${j}, and clients\nexport OpenTelemetry's db.client.operation.duration with server_address=${q(name)}.`,
    slis: [
      {
        comment:
          'Availability probe: postgres_exporter connects at every scrape and reports pg_up 1 or 0;\nthe share of successful probes over the window.',
        value: {
          name: 'availability',
          kind: 'ratio',
          good: { promql: `sum(sum_over_time(pg_up{job=${j}}[$window]))` },
          total: { promql: `sum(count_over_time(pg_up{job=${j}}[$window]))` },
        },
      },
      {
        comment:
          'Query latency where users feel it, in the clients (OpenTelemetry semantic conventions).\n0.1 s and 0.5 s are bucket bounds of the histogram OpenTelemetry recommends.',
        value: {
          name: 'query-latency',
          kind: 'latency',
          histogram: `db_client_operation_duration_seconds{db_system_name="postgresql",server_address=${q(name)}}`,
          satisfiedSeconds: 0.1,
          toleratedSeconds: 0.5,
        },
      },
      {
        comment:
          'Replicas serving reads more than 30 s behind the primary show stale data; one verdict per minute.',
        value: {
          name: 'replication-lag',
          kind: 'threshold',
          gauge: { selector: `pg_replication_lag_seconds{job=${j}}` },
          operator: '<',
          bound: 30,
        },
      },
    ],
    slos: [
      {
        comment: tierComment(tier, 'availability'),
        value: slo('availability', 'availability', availabilityPercent),
      },
      { comment: tierComment(tier, 'latency'), value: slo('query-latency', 'query-latency', latencyPercent) },
      {
        comment: `${tierComment(tier, 'latency')}, counted in minutes within the bound`,
        value: slo('replication-lag', 'replication-lag', latencyPercent),
      },
    ],
    saturationPoints: [
      {
        comment:
          'Backends in use over max_connections on the fullest node; new connections fail at the limit.',
        value: {
          name: 'connections',
          utilization: {
            promql: `max(sum by (instance) (avg_over_time(pg_stat_activity_count{job=${j}}[$window])) / on (instance) max by (instance) (pg_settings_max_connections{job=${j}}))`,
          },
          soft: 0.7,
          hard: 0.9,
          horizontallyScalable: false,
          forecast: { history: '28d', horizon: '90d', method: 'linear' },
        },
      },
      ...nodeSaturation(job, '/var/lib/postgresql'),
    ],
  };
}

function cache({ name, tier, job }: BlueprintInput): Blueprint {
  const j = q(job);
  const { availabilityPercent, latencyPercent } = TIER_OBJECTIVES[tier];
  return {
    assumptions: `redis_exporter is scraped as job=${j}, and clients export OpenTelemetry's\ndb.client.operation.duration with server_address=${q(name)}.`,
    slis: [
      {
        comment: 'Availability: commands Redis executed without an error reply (INFO commandstats).',
        value: {
          name: 'commands',
          kind: 'ratio',
          bad: { selector: `redis_commands_failed_calls_total{job=${j}}` },
          total: { selector: `redis_commands_total{job=${j}}` },
        },
      },
      {
        comment:
          'Command latency as clients see it, network included. 0.01 s and 0.05 s are bucket bounds\nof the histogram OpenTelemetry recommends.',
        value: {
          name: 'latency',
          kind: 'latency',
          histogram: `db_client_operation_duration_seconds{db_system_name="redis",server_address=${q(name)}}`,
          satisfiedSeconds: 0.01,
          toleratedSeconds: 0.05,
        },
      },
      {
        comment:
          'Keyspace hits over lookups. Measured without an SLO: a falling hit ratio moves load to the\nbackend before users notice. Add a tickets-only SLO once you know your normal ratio.',
        value: {
          name: 'hit-ratio',
          kind: 'ratio',
          userImpacting: false,
          good: { promql: `sum(increase(redis_keyspace_hits_total{job=${j}}[$window]))` },
          total: {
            promql: `sum(increase(redis_keyspace_hits_total{job=${j}}[$window])) + sum(increase(redis_keyspace_misses_total{job=${j}}[$window]))`,
          },
        },
      },
    ],
    slos: [
      {
        comment: tierComment(tier, 'availability'),
        value: slo('availability', 'commands', availabilityPercent),
      },
      { comment: tierComment(tier, 'latency'), value: slo('latency', 'latency', latencyPercent) },
    ],
    saturationPoints: [
      {
        comment:
          'Used memory over maxmemory; Redis evicts (or refuses writes) at the limit. Needs maxmemory set.',
        value: {
          name: 'memory',
          utilization: {
            promql: `max(max_over_time(redis_memory_used_bytes{job=${j}}[$window]) / redis_memory_max_bytes{job=${j}})`,
          },
          soft: 0.8,
          hard: 0.95,
          horizontallyScalable: false,
          forecast: { history: '28d', horizon: '90d', method: 'linear' },
        },
      },
      {
        comment: 'Redis runs commands on one thread, so one core is its ceiling.',
        value: {
          name: 'cpu',
          utilization: {
            promql: `max(rate(redis_cpu_user_seconds_total{job=${j}}[$window]) + rate(redis_cpu_sys_seconds_total{job=${j}}[$window]))`,
          },
          soft: 0.7,
          hard: 0.9,
          horizontallyScalable: false,
        },
      },
      {
        comment: 'Connected clients over maxclients; new connections are refused at the limit.',
        value: {
          name: 'connections',
          utilization: {
            promql: `max(max_over_time(redis_connected_clients{job=${j}}[$window]) / redis_config_maxclients{job=${j}})`,
          },
          soft: 0.7,
          hard: 0.9,
          horizontallyScalable: false,
        },
      },
    ],
  };
}
