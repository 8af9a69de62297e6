/**
 * Valid manifests for tests that need a realistic starting point (fuzzing, CLI runs):
 * together they use every kind and every optional feature of sextant.dev/v1, and they
 * build into a catalog with no issues at all.
 */

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SourceFile } from '../../src/catalog/index.ts';

/** A team with on-call and chat (also the base of src/catalog/catalog.test.ts). */
export const PAYMENTS_TEAM = `apiVersion: sextant.dev/v1
kind: Team
metadata:
  name: payments-team
spec:
  members: [ana, bo]
  onCall:
    schedule: payments-primary
  chat: '#payments'
`;

/** Two services, one with a calendar window (also the base of src/catalog/catalog.test.ts). */
export const PAYMENTS_SERVICES = `apiVersion: sextant.dev/v1
kind: Service
metadata:
  name: payments
spec:
  owner: payments-team
  tier: critical
  dependsOn: [ledger]
  slis:
    - name: availability
      kind: ratio
      bad:
        selector: http_requests_total{job="payments",code=~"5.."}
      total:
        selector: http_requests_total{job="payments"}
  slos:
    - name: availability
      sli: availability
      objectivePercent: 99.9
      window: 28d
---
apiVersion: sextant.dev/v1
kind: Service
metadata:
  name: ledger
spec:
  owner: payments-team
  tier: high
  slis:
    - name: writes
      kind: events
  slos:
    - name: writes
      sli: writes
      objectiveRatio: 0.995
      window: {calendar: month, timeZone: Europe/Berlin}
`;

/** A parent team and a child team with structured members, in flow and block style. */
export const PLATFORM_TEAMS = `# Teams, with a parent and structured members.
apiVersion: sextant.dev/v1
kind: Team
metadata: {name: platform, title: Platform group}
spec:
  onCall: {email: platform-oncall@example.com}
---
apiVersion: sextant.dev/v1
kind: Team
metadata:
  name: storage
  labels: {group: platform}
  annotations:
    example.com/cost-center: "4711"
spec:
  parent: platform
  members:
    - name: Zoë Ångström
      email: zoe@example.com
      role: lead
    - kim
  onCall:
    schedule: https://oncall.example.com/storage
    phone: '+49-30-5550100'
    url: https://oncall.example.com
  chat: '#storage'
`;

/** Tenants matched by exact names and `*` patterns. */
export const TENANTS = `apiVersion: sextant.dev/v1
kind: Tenant
metadata: {name: cell-1, labels: {cell: '1'}}
spec: {environment: production, region: us-east1, productLine: saas}
---
apiVersion: sextant.dev/v1
kind: Tenant
metadata: {name: dedicated-acme}
spec:
  dedicated: true
---
apiVersion: sextant.dev/v1
kind: Tenant
metadata:
  name: staging
spec:
  environment: staging
`;

/** A service using every SLI kind, every budgeting method, alert overrides, saturation and maintenance. */
export const OBJECT_STORE = `# yaml-language-server: $schema=../schema/sextant.v1.json
apiVersion: sextant.dev/v1
kind: Service
metadata:
  name: object-store
  title: "Object store \\u2014 blobs"
  description: >-
    Stores blobs; folded text
    over two lines.
  labels:
    stage: storage
  links:
    - {url: 'https://runbooks.example.com/object-store', type: runbook, title: Runbook}
    - url: https://dashboards.example.com/d/object-store
spec:
  owner: storage
  tier: critical
  lifecycle: beta
  dependsOn:
    - payments
    - service: ledger
      kind: soft
      description: Billing records are written later.
  instances:
    tenants: ['cell-*', dedicated-acme]
    environments: [production]
    selector: {region: us-east1}
  paths: ['services/object-store/**', lib/blob/*.go]
  slis:
    - name: requests
      description: Requests that do not fail with a server error.
      kind: ratio
      significantLabels: [bucket_class, __region]
      userImpacting: true
      severity: s2
      good: {selector: "blob_requests_total{job=\\"blob\\",code!~\\"5..\\"}"}
      total: {selector: 'blob_requests_total{job="blob"}'}
    - name: latency
      kind: latency
      team: payments-team
      histogram: 'blob_request_duration_seconds{job="blob",method=~"GET|HEAD"}'
      satisfiedSeconds: 0.25
      toleratedSeconds: 1.0
    - name: latency-promql
      kind: latency
      promql:
        satisfied: 'sum(increase(blob_duration_seconds_bucket{le="0.5"}[$window]))'
        tolerated: 'sum(increase(blob_duration_seconds_bucket{le="2"}[$window]))'
        total: 'sum(increase(blob_duration_seconds_count[$window]))'
      satisfiedSeconds: 0.5
      toleratedSeconds: 2
    - name: free-space
      kind: threshold
      gauge: {promql: 'min(node_filesystem_avail_ratio{mount="/data"}[$window])'}
      operator: '>'
      bound: 0.05
      aggregation: avg
    - name: replication
      kind: threshold
      gauge:
        selector: "{__name__=~\\"blob_replication_lag_seconds|blob_lag\\", \`zone\`!=''}"
      operator: <=
      bound: 30
    - name: uploads
      kind: events
      userImpacting: false
  slos:
    - name: availability
      description: Monthly availability.
      sli: requests
      objectivePercent: 99.95
      window: {calendar: quarter, timeZone: America/New_York}
      alerting:
        minEvents: 100
        wilsonConfidence: 0.95
        budgetExhausted: true
        trafficCessation: false
        tiers:
          page-1h: {severity: ticket, for: 2m}
          ticket-3d: {enabled: false}
          weekly: {longWindow: 7d, shortWindow: 6h, budgetPercent: 25, factor: 1.5, severity: ticket}
    - name: latency
      sli: latency
      objectiveRatio: 0.99
      window: 4w
      budgeting: {method: timeslices, slice: 5m, sliceTargetPercent: 95, emptySlice: bad}
    - name: latency-promql
      sli: latency-promql
      objectivePercent: 99
      window: 1d12h
      budgeting: {method: ratioTimeslices, slice: 1h}
    - name: free-space
      sli: free-space
      objectivePercent: 99.5
      budgeting: ratioTimeslices
    - name: replication
      sli: replication
      objectiveRatio: 0.999
      window: 30d
      budgeting: {method: timeslices, sliceTargetRatio: 0.9}
    - name: uploads
      sli: uploads
      objectivePercent: 90
      window: 7d
      budgeting: {method: occurrences}
  saturationPoints:
    - name: disk
      description: Used over total bytes.
      utilization: {selector: blob_disk_used_ratio}
      soft: 0.8
      hard: 0.95
      horizontallyScalable: false
      forecast: {history: 14d, horizon: 12w, method: linear}
    - name: connections
      utilization: {promql: 'max(blob_connections / blob_max_connections)[$window]'}
      soft: 0.7
      hard: 1
  maintenance:
    - name: upgrade
      slos: [availability, latency]
      start: '2026-12-01T02:00:00Z'
      end: '2026-12-01T04:30:00+01:00'
    - name: weekly-compaction
      cron: '30 3 * * SUN'
      duration: 1h30m
      timeZone: Asia/Tokyo
`;

/** A journey across the services above, with its own SLO. */
export const CHECKOUT_JOURNEY = `apiVersion: sextant.dev/v1
kind: Journey
metadata: {name: checkout, description: "Pay, then store the receipt."}
spec:
  owner: payments-team
  parts:
    - sli: payments/availability
      weight: 3
    - {sli: object-store/requests}
    - sli: ledger/writes
      weight: 0.5
  slos:
    - name: success
      objectivePercent: 99.5
      window: 28d
      alerting: {tiers: {page-6h: {budgetPercent: 10}}}
`;

/** The corpus above as files; it builds into a catalog with no issues. */
export const VALID_FILES: readonly SourceFile[] = [
  { path: 'catalog/payments-team.yaml', text: PAYMENTS_TEAM },
  { path: 'catalog/payments.yaml', text: PAYMENTS_SERVICES },
  { path: 'catalog/platform/teams.yaml', text: PLATFORM_TEAMS },
  { path: 'catalog/tenants.yml', text: TENANTS },
  { path: 'catalog/platform/object-store.yaml', text: OBJECT_STORE },
  { path: 'catalog/journeys/checkout.yaml', text: CHECKOUT_JOURNEY },
];

/**
 * The bundled example fleet (`examples/fleet/*.yaml`), or no files when the repository
 * does not have it. Paths are relative to the repository root.
 */
export async function readExampleFleet(): Promise<SourceFile[]> {
  const root = new URL('../../', import.meta.url);
  const dir = join('examples', 'fleet');
  let names: string[];
  try {
    names = await readdir(new URL(`${dir}/`, root));
  } catch {
    return [];
  }
  const files: SourceFile[] = [];
  for (const name of names.filter((n) => /\.ya?ml$/.test(n)).sort()) {
    files.push({ path: join(dir, name), text: await readFile(new URL(`${dir}/${name}`, root), 'utf8') });
  }
  return files;
}
