/**
 * A generated, realistic and valid catalog of any size: teams in groups, services whose
 * dependencies form a DAG, 2-4 SLIs with one SLO each, saturation points, maintenance
 * windows, journeys across services and tenants. Deterministic for a seed, so every run
 * of a benchmark measures the same input.
 */

import type { SourceFile } from '../../src/catalog/index.ts';

export interface FleetOptions {
  services: number;
  seed: number;
}

/** What was generated, to print beside the timings. */
export interface FleetCounts {
  files: number;
  documents: number;
  bytes: number;
  lines: number;
  services: number;
  teams: number;
  journeys: number;
  tenants: number;
  dependencies: number;
  slis: number;
  slos: number;
  saturationPoints: number;
}

const DOMAINS = [
  'billing',
  'search',
  'auth',
  'ledger',
  'checkout',
  'catalog',
  'inventory',
  'shipping',
  'notify',
  'media',
  'profile',
  'feed',
  'ads',
  'payments',
  'fraud',
  'reports',
  'export',
  'identity',
  'gateway',
  'pricing',
] as const;
const ROLES = [
  'api',
  'worker',
  'db',
  'cache',
  'queue',
  'indexer',
  'scheduler',
  'proxy',
  'store',
  'web',
] as const;
const TIERS = [
  'critical',
  'high',
  'high',
  'high',
  'medium',
  'medium',
  'medium',
  'medium',
  'low',
  'low',
] as const;
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo'] as const;
const PEOPLE = [
  'ana',
  'bo',
  'chen',
  'dara',
  'eli',
  'fatima',
  'goran',
  'hana',
  'ivo',
  'jun',
  'kemal',
  'lea',
] as const;

/** mulberry32: a small, fast, seedable PRNG; quality is plenty for test data. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface GeneratedService {
  name: string;
  team: string;
  slis: string[];
  text: string;
}

/** Generates the fleet as files (paths relative to the catalog root). */
export function generateFleet(options: FleetOptions): { files: SourceFile[]; counts: FleetCounts } {
  const rand = random(options.seed);
  const int = (min: number, max: number) => min + Math.floor(rand() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const chance = (p: number) => rand() < p;
  const counts: FleetCounts = {
    files: 0,
    documents: 0,
    bytes: 0,
    lines: 0,
    services: options.services,
    teams: 0,
    journeys: 0,
    tenants: 0,
    dependencies: 0,
    slis: 0,
    slos: 0,
    saturationPoints: 0,
  };

  // Teams: one per ~20 services, in groups of ten under a parent team.
  const teamCount = Math.max(2, Math.round(options.services / 20));
  const groupCount = Math.max(1, Math.ceil(teamCount / 10));
  const groups = Array.from({ length: groupCount }, (_, g) => `${DOMAINS[g % DOMAINS.length]}-group-${g}`);
  const teams = Array.from({ length: teamCount }, (_, t) => `${DOMAINS[t % DOMAINS.length]}-team-${t}`);
  const teamFiles = new Map<string, string[]>();
  groups.forEach((group, g) => {
    teamFiles.set(`teams/${group}.yaml`, [
      `apiVersion: sextant.dev/v1
kind: Team
metadata:
  name: ${group}
  title: ${DOMAINS[g % DOMAINS.length]} group ${g}
spec:
  members: [${pick(PEOPLE)}]
  onCall: {email: ${group}@example.com}
`,
    ]);
  });
  teams.forEach((team, t) => {
    const group = groups[t % groupCount]!;
    const members = Array.from(
      { length: int(2, 5) },
      (_, m) => `    - name: ${pick(PEOPLE)} ${m}\n      email: ${team}-${m}@example.com`,
    );
    teamFiles.get(`teams/${group}.yaml`)!.push(`apiVersion: sextant.dev/v1
kind: Team
metadata:
  name: ${team}
  labels: {group: ${group}}
spec:
  parent: ${group}
  members:
${members.join('\n')}
  onCall:
    schedule: ${team}-primary
    url: https://oncall.example.com/${team}
  chat: '#${team}'
`);
  });
  counts.teams = groupCount + teamCount;

  // Tenants: multi-tenant cells and dedicated single-customer instances.
  const cells = Math.max(1, Math.round(options.services / 33));
  const dedicated = Math.max(1, Math.round(options.services / 100));
  const tenants = [
    ...Array.from({ length: cells }, (_, c) => `cell-${c + 1}`),
    ...Array.from({ length: dedicated }, (_, d) => `dedicated-customer-${d + 1}`),
  ];
  counts.tenants = tenants.length;
  const tenantDocs = tenants.map(
    (tenant) => `apiVersion: sextant.dev/v1
kind: Tenant
metadata: {name: ${tenant}}
spec:
  environment: production
  region: ${pick(['us-east1', 'europe-west4', 'asia-northeast1'])}
  dedicated: ${tenant.startsWith('dedicated')}
`,
  );

  // Services: dependencies only on services generated before, so the graph is a DAG.
  const services: GeneratedService[] = [];
  for (let i = 0; i < options.services; i++) {
    const domain = DOMAINS[i % DOMAINS.length]!;
    const name = `${domain}-${pick(ROLES)}-${i}`;
    const team = teams[Math.floor((i * teamCount) / options.services)]!;
    const tier = pick(TIERS);
    const job = name.replaceAll('-', '_');

    const dependsOn: string[] = [];
    const used = new Set<number>();
    for (let d = Math.min(i, int(0, 4)); d > 0; d--) {
      const target = Math.max(0, i - int(1, 400));
      if (used.has(target)) continue;
      used.add(target);
      const dependency = services[target]!.name;
      dependsOn.push(
        chance(0.25)
          ? `    - service: ${dependency}\n      kind: soft\n      description: Degrades to cached answers.`
          : `    - ${dependency}`,
      );
    }
    counts.dependencies += dependsOn.length;

    const sliCount = int(2, 4);
    const sliNames: string[] = [];
    const sliDocs: string[] = [];
    const sloDocs: string[] = [];
    const kinds = ['availability', 'latency', 'freshness', 'jobs'].slice(0, sliCount);
    for (const kind of kinds) {
      sliNames.push(kind);
      if (kind === 'availability') {
        sliDocs.push(`    - name: availability
      description: Requests answered without a server error.
      kind: ratio
      significantLabels: [route]
      bad:
        selector: 'http_requests_total{job="${job}",code=~"5.."}'
      total:
        selector: 'http_requests_total{job="${job}"}'`);
      } else if (kind === 'latency') {
        sliDocs.push(
          chance(0.8)
            ? `    - name: latency
      kind: latency
      histogram: 'http_request_duration_seconds{job="${job}"}'
      satisfiedSeconds: ${pick([0.1, 0.25, 0.5, 1])}
      toleratedSeconds: ${pick([2, 4])}`
            : `    - name: latency
      kind: latency
      promql:
        satisfied: 'sum(increase(rpc_duration_seconds_bucket{job="${job}",le="0.5"}[$window]))'
        total: 'sum(increase(rpc_duration_seconds_count{job="${job}"}[$window]))'
      satisfiedSeconds: 0.5`,
        );
      } else if (kind === 'freshness') {
        sliDocs.push(`    - name: freshness
      kind: threshold
      gauge: {selector: 'queue_oldest_message_age_seconds{job="${job}",queue!~"dead-.*"}'}
      operator: '<'
      bound: ${int(10, 300)}`);
      } else {
        sliDocs.push(`    - name: jobs
      kind: events
      userImpacting: false`);
      }
      const window = chance(0.15)
        ? `{calendar: month, timeZone: ${pick(ZONES)}}`
        : pick(['28d', '30d', '7d', '4w']);
      const objective = chance(0.3)
        ? `objectiveRatio: ${pick([0.99, 0.995, 0.999])}`
        : `objectivePercent: ${pick([99, 99.5, 99.9, 99.95])}`;
      let extra = '';
      if (kind === 'freshness')
        extra = `\n      budgeting: {method: timeslices, slice: 1m, sliceTargetPercent: 95}`;
      else if (chance(0.1))
        extra = `\n      alerting:\n        tiers:\n          ticket-3d: {enabled: false}\n          page-1h: {for: 2m}`;
      sloDocs.push(`    - name: ${kind}
      sli: ${kind}
      ${objective}
      window: ${window}${extra}`);
    }
    counts.slis += sliCount;
    counts.slos += sliCount;

    const saturation = [
      `    - name: cpu
      utilization:
        promql: 'max(rate(container_cpu_usage_seconds_total{container="${name}"}[$window]) / on(pod) kube_pod_container_resource_limits{container="${name}",resource="cpu"})'
      soft: 0.8
      hard: 0.95
      horizontallyScalable: true`,
    ];
    if (chance(0.5)) {
      saturation.push(`    - name: memory
      utilization: {selector: 'container_memory_utilization_ratio{container="${name}"}'}
      soft: 0.85
      hard: 0.95
      forecast: {history: 28d, horizon: 90d, method: ${pick(['linear', 'holt-winters'])}}`);
    }
    counts.saturationPoints += saturation.length;

    const instances = chance(0.3)
      ? `  instances:\n    tenants: [${chance(0.5) ? "'cell-*'" : `cell-${int(1, cells)}`}${chance(0.3) ? ", 'dedicated-*'" : ''}]\n`
      : '';
    const maintenance = chance(0.1)
      ? `  maintenance:\n    - name: weekly-upgrade\n      cron: '0 ${int(0, 5)} * * SUN'\n      duration: 2h\n      timeZone: ${pick(ZONES)}\n`
      : '';

    const text = `apiVersion: sextant.dev/v1
kind: Service
metadata:
  name: ${name}
  title: ${domain} ${name.split('-')[1]} ${i}
  labels: {domain: ${domain}}
  links:
    - {url: 'https://runbooks.example.com/${name}', type: runbook}
spec:
  owner: ${team}
  tier: ${tier}
${dependsOn.length > 0 ? `  dependsOn:\n${dependsOn.join('\n')}\n` : ''}${instances}  paths: ['services/${name}/**']
  slis:
${sliDocs.join('\n')}
  slos:
${sloDocs.join('\n')}
  saturationPoints:
${saturation.join('\n')}
${maintenance}`;
    services.push({ name, team, slis: sliNames, text });
  }

  // Journeys: one per ~50 services, each across 2-5 services' SLIs.
  const journeyCount = Math.max(1, Math.round(options.services / 50));
  counts.journeys = journeyCount;
  const journeyDocs = Array.from({ length: journeyCount }, (_, j) => {
    const parts = Array.from({ length: int(2, 5) }, () => {
      const service = pick(services);
      return `    - sli: ${service.name}/${pick(service.slis)}\n      weight: ${pick([1, 1, 2, 0.5])}`;
    });
    return `apiVersion: sextant.dev/v1
kind: Journey
metadata: {name: journey-${j}, title: User journey ${j}}
spec:
  owner: ${pick(teams)}
  parts:
${[...new Set(parts)].join('\n')}
  slos:
    - name: success
      objectivePercent: 99.5
      window: 28d
`;
  });

  // Files: most teams keep one file per service, some one multi-document file per team.
  const files: SourceFile[] = [];
  const add = (path: string, documents: string[]) => {
    const text = `# Generated by bench/support/fleet.ts (seed ${options.seed}).\n${documents.join('---\n')}`;
    files.push({ path, text });
    counts.documents += documents.length;
  };
  for (const [path, documents] of teamFiles) add(path, documents);
  const byTeam = Map.groupBy(services, (service) => service.team);
  let teamIndex = 0;
  for (const [team, owned] of byTeam) {
    if (teamIndex++ % 5 < 3)
      for (const service of owned) add(`services/${team}/${service.name}.yaml`, [service.text]);
    else
      add(
        `services/${team}.yaml`,
        owned.map((service) => service.text),
      );
  }
  for (let start = 0; start < journeyDocs.length; start += 25)
    add(`journeys/journeys-${start / 25}.yaml`, journeyDocs.slice(start, start + 25));
  add('tenants.yaml', tenantDocs);

  counts.files = files.length;
  for (const file of files) {
    counts.bytes += Buffer.byteLength(file.text);
    counts.lines += file.text.split('\n').length;
  }
  return { files, counts };
}
