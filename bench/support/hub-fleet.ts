/**
 * The simulated fleet of `npm run bench -- hub`: a generated catalog (services with one
 * SLI and one 28-day SLO each), the count series every unit exports (each SLI times a few
 * label sets), and the push bodies units send (protocol 1.0 `pushRequest`, gzip), built
 * before anything is timed so that the load generator only writes bytes to sockets.
 *
 * Every unit runs the same catalog and the same series; only the counts differ, drawn
 * from a seeded generator so that every run sends the same fleet.
 */

import { gzipSync } from 'node:zlib';
import type { SourceFile } from '../../src/catalog/index.ts';
import { SYNC_PROTOCOL_VERSION } from '../../src/sync/index.ts';

/** What to generate. */
export interface FleetShape {
  units: number;
  /** Count series per unit: `slis` SLIs times label sets, cut at this number. */
  seriesPerUnit: number;
  slis: number;
  seed: number;
}

/** One count series of a unit: an SLI and its label set, with its traffic. */
export interface SeriesSpec {
  sli: string;
  labels: Record<string, string>;
  /** Requests per minute and the share of them that are good. */
  perMinute: number;
  goodRatio: number;
  /** `,"sli":...,"labels":{...},"startMinute":` pre-serialised, for fast bodies. */
  jsonMiddle: string;
}

/** The fleet: catalog files, unit ids and every unit's series. */
export interface Fleet {
  catalog: SourceFile[];
  unitIds: string[];
  /** The SLI ids, in catalog order. */
  slis: string[];
  /** `series[u]`: unit u's series (same keys for every unit, different traffic). */
  series: SeriesSpec[][];
  /** Tenants the units are spread over (a unit's tenant is `tenants[u % tenants.length]`). */
  tenants: string[];
}

/** mulberry32: small, fast and seedable; plenty for test data. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const DOMAINS = ['billing', 'search', 'auth', 'ledger', 'checkout', 'catalog', 'inventory', 'shipping'];
const ROUTES = ['items', 'item', 'orders', 'order', 'search', 'users', 'user', 'cart', 'pay', 'login'];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
const TENANT_COUNT = 10;

/** The catalog: one team, `slis` services with one event-count SLI and a 28-day SLO each. */
function catalogOf(services: readonly string[]): SourceFile[] {
  const files: SourceFile[] = [
    {
      path: 'teams.yaml',
      text: `apiVersion: sextant.dev/v1
kind: Team
metadata:
  name: platform
spec:
  members:
    - {name: Ana, email: ana@example.com}
  onCall: {email: platform-oncall@example.com}
`,
    },
  ];
  for (const service of services) {
    files.push({
      path: `services/${service}.yaml`,
      text: `apiVersion: sextant.dev/v1
kind: Service
metadata:
  name: ${service}
spec:
  owner: platform
  tier: high
  slis:
    - name: requests
      kind: events
      significantLabels: [method, route]
  slos:
    - {name: requests, sli: requests, objectivePercent: 99.9, window: 28d}
`,
    });
  }
  return files;
}

/** Generates the fleet for `shape`. */
export function generateFleet(shape: FleetShape): Fleet {
  const rand = random(shape.seed);
  const services = Array.from(
    { length: shape.slis },
    (_, i) => `${DOMAINS[i % DOMAINS.length]}-api-${String(i).padStart(2, '0')}`,
  );
  const slis = services.map((service) => `${service}/requests`);
  const labelSets = Math.ceil(shape.seriesPerUnit / shape.slis);
  // Series keys in (label set, SLI) order, cut at seriesPerUnit, so every SLI gets its share.
  const keys: { sli: string; labels: Record<string, string> }[] = [];
  for (let l = 0; l < labelSets && keys.length < shape.seriesPerUnit; l++) {
    for (const sli of slis) {
      if (keys.length >= shape.seriesPerUnit) break;
      const labels = {
        method: METHODS[l % METHODS.length]!,
        route: `/api/v1/${ROUTES[l % ROUTES.length]}/${l}`,
      };
      keys.push({ sli, labels });
    }
  }
  const tenants = Array.from({ length: TENANT_COUNT }, (_, t) => `cell-${t + 1}`);
  const unitIds = Array.from({ length: shape.units }, (_, u) => `unit-${String(u + 1).padStart(5, '0')}`);
  const series = unitIds.map(() =>
    keys.map(({ sli, labels }) => ({
      sli,
      labels,
      // Heavy-tailed traffic: 1 to 10,000 requests a minute; 99.5 % to 100 % good.
      perMinute: 10 ** (4 * rand() ** 2),
      goodRatio: 1 - 0.005 * rand() ** 3,
      jsonMiddle: `,"sli":${JSON.stringify(sli)},"labels":${JSON.stringify(labels)},"startMinute":`,
    })),
  );
  return { catalog: catalogOf(services), unitIds, slis, series, tenants };
}

/** The counts of `spec` over `minutes` minutes (the same every time it is asked). */
export function countsOf(spec: SeriesSpec, minutes: number): { good: number; total: number } {
  const total = Math.round(spec.perMinute * minutes);
  return { good: Math.floor(total * spec.goodRatio), total };
}

/** One record to put in a body: a series, its bucket and its counts. */
export interface BodyRecord {
  spec: SeriesSpec;
  startMinute: number;
  minutes: number;
  good: number;
  total: number;
}

/**
 * The JSON text of one push: records get `firstSeq, firstSeq + 1, ...` and the push covers
 * `(afterSeq, last of them]` (a unit's outbox sends each pending key once, with the seq of
 * its latest change; seqs of records it rejected earlier may be missing from the range).
 */
export function pushJson(
  unit: string,
  afterSeq: number,
  firstSeq: number,
  sentAtMs: number,
  records: readonly BodyRecord[],
): string {
  const parts: string[] = [];
  let seq = firstSeq - 1;
  for (const r of records) {
    seq++;
    parts.push(
      `{"kind":"counts","seq":${seq}${r.spec.jsonMiddle}${r.startMinute},"minutes":${r.minutes},"good":${r.good},"total":${r.total}}`,
    );
  }
  return `{"protocol":"${SYNC_PROTOCOL_VERSION}","unit":"${unit}","afterSeq":${afterSeq},"throughSeq":${seq},"sentAtMs":${Math.floor(sentAtMs)},"records":[${parts.join(',')}]}`;
}

/** A ready push: gzip body and the seq range it covers. */
export interface EncodedPush {
  afterSeq: number;
  throughSeq: number;
  body: Buffer;
  /** Uncompressed JSON bytes. */
  jsonBytes: number;
}

/**
 * Encodes and compresses one push (gzip level 6, zlib's default, as a unit would send);
 * its records get seqs from `firstSeq` (default `afterSeq + 1`).
 */
export function encodePush(
  unit: string,
  afterSeq: number,
  sentAtMs: number,
  records: readonly BodyRecord[],
  firstSeq = afterSeq + 1,
): EncodedPush {
  const json = pushJson(unit, afterSeq, firstSeq, sentAtMs, records);
  return {
    afterSeq,
    throughSeq: firstSeq - 1 + records.length,
    body: gzipSync(json),
    jsonBytes: Buffer.byteLength(json),
  };
}

/** Minutes per steady-state bucket: the unit's export resolution. */
export const BUCKET_MINUTES = 5;

/**
 * The steady-state records of one unit at wall time `atMs`: every series' current
 * 5-minute bucket, with the counts so far in it (a bucket grows until it closes, and each
 * push sends its latest value under a new seq, as the outbox coalesces changes).
 */
export function currentBuckets(series: readonly SeriesSpec[], atMs: number): BodyRecord[] {
  const minute = atMs / 60_000;
  const startMinute = Math.floor(minute / BUCKET_MINUTES) * BUCKET_MINUTES;
  // At least one minute's worth, so that the first push of a bucket is not all zeros.
  const elapsed = Math.max(1, minute - startMinute);
  return series.map((spec) => ({ spec, startMinute, minutes: BUCKET_MINUTES, ...countsOf(spec, elapsed) }));
}

/**
 * History records of one unit: one 60-minute record per hour from `fromMinute` (an hour
 * boundary) up to `toMinute`, for the first `labelSets` label sets of each SLI, oldest
 * first, cut into pushes of at most `perPush` records.
 */
export function historyBatches(
  series: readonly SeriesSpec[],
  slis: number,
  labelSets: number,
  fromMinute: number,
  toMinute: number,
  perPush: number,
): BodyRecord[][] {
  const kept = series.slice(0, slis * labelSets);
  const batches: BodyRecord[][] = [];
  let batch: BodyRecord[] = [];
  for (let start = fromMinute; start + 60 <= toMinute; start += 60) {
    for (const spec of kept) {
      batch.push({ spec, startMinute: start, minutes: 60, ...countsOf(spec, 60) });
      if (batch.length === perPush) {
        batches.push(batch);
        batch = [];
      }
    }
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}
