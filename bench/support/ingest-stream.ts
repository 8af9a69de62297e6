/**
 * The remote-write stream of `npm run bench -- ingest`: a generated catalog, the series a
 * cluster running it would send (SLI-relevant request counters and latency buckets, plus
 * node-exporter-like, kube-state-metrics-like and runtime series nobody's SLI uses), cut
 * into batches the way Prometheus ships them, encoded and snappy-compressed once.
 *
 * Each batch is a template: its compressed body is built so that every sample's value and
 * timestamp sit in a snappy literal at a known offset, never inside or behind a copy. A
 * later time step is then written over those bytes in place (`patchBatch`), which costs
 * a few nanoseconds per sample: the load generator sends any number of distinct,
 * in-order steps without re-encoding or re-compressing anything, so it is never the
 * bottleneck. Values are always encoded (also 0, which proto3 allows), so the layout of
 * a template does not depend on the step.
 */

import type { SourceFile } from '../../src/catalog/index.ts';

/** What to generate. */
export interface StreamOptions {
  /** Series that some SLI of the catalog selects (counters and histogram buckets). */
  sliSeries: number;
  /** Series no SLI selects (node exporter, kube-state-metrics, runtime, histogram sums). */
  unrelatedSeries: number;
  /** Samples per request, Prometheus's `max_samples_per_send`. */
  batchSamples: number;
  seed: number;
}

/** One generated series and how its value moves from step to step. */
interface SeriesSpec {
  /** Sorted by name, `__name__` included, as remote write requires. */
  labels: readonly [string, string][];
  /** Counter: `floor(base + step * perStep)`; gauge: `base * (1 + 0.05 sin(0.3 step + phase))`. */
  kind: 'counter' | 'gauge';
  base: number;
  perStep: number;
  phase: number;
  sli: boolean;
}

/** One request's worth of series, ready to be stamped with a time step and sent. */
export interface BatchTemplate {
  /** The snappy-compressed `WriteRequest`; `patchBatch` rewrites its samples in place. */
  body: Buffer;
  samples: number;
  sliSamples: number;
  uncompressedBytes: number;
  /** Offset in `body` of each sample's 8-byte value; its timestamp varint starts 9 bytes later. */
  valueAt: Int32Array;
  kind: Uint8Array;
  base: Float64Array;
  perStep: Float64Array;
  phase: Float64Array;
  /** Added to every timestamp of this batch: targets are scraped at different moments. */
  offsetMs: number;
}

/** The whole stream: the catalog whose selectors match the SLI series, and the batches. */
export interface Stream {
  catalog: SourceFile[];
  batches: BatchTemplate[];
  counts: {
    services: number;
    slis: number;
    sliSeries: number;
    unrelatedSeries: number;
    batches: number;
    /** Per time step (one sample of every series). */
    compressedBytesPerStep: number;
    uncompressedBytesPerStep: number;
    generateMs: number;
  };
}

/** Prometheus's default scrape interval, the spacing of a series' samples. */
export const SCRAPE_INTERVAL_MS = 15_000;

const COUNTER = 0;
const GAUGE = 1;

/** mulberry32: small, fast and seedable; plenty for test data. */
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

const DOMAINS = [
  'billing',
  'search',
  'auth',
  'ledger',
  'checkout',
  'catalog',
  'inventory',
  'shipping',
] as const;
const ROLES = ['api', 'web', 'gateway', 'worker', 'proxy'] as const;
const ROUTES = [
  ['GET', '/api/v1/items'],
  ['GET', '/api/v1/items/{id}'],
  ['POST', '/api/v1/items'],
  ['PUT', '/api/v1/items/{id}'],
  ['DELETE', '/api/v1/items/{id}'],
  ['GET', '/api/v1/search'],
  ['POST', '/api/v1/orders'],
  ['GET', '/api/v1/orders/{id}'],
] as const;
/** Request share of each status code: most succeed, a few are client or server errors. */
const CODES = [
  ['200', 0.97],
  ['404', 0.025],
  ['500', 0.005],
] as const;
/** client_golang's default buckets plus +Inf, as the Go client formats them. */
const LE = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'] as const;
const PODS_PER_SERVICE = 4;
const ROUTES_PER_SERVICE = 5;
/** SLI series of one service: pods × routes × (codes + buckets). */
const SLI_SERIES_PER_SERVICE = PODS_PER_SERVICE * ROUTES_PER_SERVICE * (CODES.length + LE.length);

const sorted = (labels: Record<string, string>): [string, string][] =>
  Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

const hex = (rand: () => number, length: number) =>
  Array.from({ length }, () => '0123456789abcdef'[Math.floor(rand() * 16)]).join('');
const alnum = (rand: () => number, length: number) =>
  Array.from({ length }, () => 'bcdfghjklmnpqrstvwxz2456789'[Math.floor(rand() * 27)]).join('');

interface Service {
  name: string;
  namespace: string;
  routes: (typeof ROUTES)[number][];
  pods: { pod: string; instance: string }[];
}

/** The services, their catalog, and the SLI-relevant series (request counters, latency buckets). */
function sliPart(
  count: number,
  rand: () => number,
): { services: Service[]; catalog: SourceFile[]; series: SeriesSpec[] } {
  const services: Service[] = [];
  const series: SeriesSpec[] = [];
  const serviceCount = Math.max(1, Math.ceil(count / SLI_SERIES_PER_SERVICE));
  for (let i = 0; i < serviceCount; i++) {
    const domain = DOMAINS[i % DOMAINS.length]!;
    const name = `${domain}-${ROLES[Math.floor(rand() * ROLES.length)]!}-${i}`;
    const start = Math.floor(rand() * ROUTES.length);
    const routes = Array.from({ length: ROUTES_PER_SERVICE }, (_, r) => ROUTES[(start + r) % ROUTES.length]!);
    const replicaSet = hex(rand, 10);
    const pods = Array.from({ length: PODS_PER_SERVICE }, () => ({
      pod: `${name}-${replicaSet}-${alnum(rand, 5)}`,
      instance: `10.${8 + Math.floor(rand() * 8)}.${Math.floor(rand() * 256)}.${1 + Math.floor(rand() * 254)}:8080`,
    }));
    services.push({ name, namespace: domain, routes, pods });
  }
  // Series in scrape order (service, pod, route), cut at `count`: the last service may be partial.
  outer: for (const service of services) {
    for (const { pod, instance } of service.pods) {
      for (const [method, route] of service.routes) {
        const common = { job: service.name, namespace: service.namespace, pod, instance, method, route };
        // Requests per 15 s: heavy-tailed across routes, 0.2 to 2,000.
        const perStep = 10 ** (-0.7 + 4 * rand() ** 2);
        const started = 1000 + Math.floor(rand() * 1e6);
        for (const [code, share] of CODES) {
          if (series.length >= count) break outer;
          series.push({
            labels: sorted({ __name__: 'http_requests_total', ...common, code }),
            kind: 'counter',
            base: 1 + Math.floor(started * share),
            perStep: perStep * share,
            phase: 0,
            sli: true,
          });
        }
        // Cumulative buckets: floor(c × (base + step × perStep)) keeps them monotone in le.
        const median = 0.02 * 10 ** (2 * rand());
        for (const le of LE) {
          if (series.length >= count) break outer;
          const bound = Number(le);
          const share = Number.isFinite(bound) ? 1 / (1 + (median / bound) ** 1.5) : 1;
          series.push({
            labels: sorted({ __name__: 'http_request_duration_seconds_bucket', ...common, le }),
            kind: 'counter',
            base: 1 + Math.floor(started * share),
            perStep: perStep * share,
            phase: 0,
            sli: true,
          });
        }
      }
    }
  }
  return { services, catalog: catalogOf(services, rand), series };
}

/** One team and a service per job, each with an availability and a latency SLO. */
function catalogOf(services: readonly Service[], rand: () => number): SourceFile[] {
  const team = `apiVersion: sextant.dev/v1
kind: Team
metadata:
  name: platform
spec:
  members:
    - {name: Ana, email: ana@example.com}
  onCall: {email: platform-oncall@example.com}
`;
  const files: SourceFile[] = [{ path: 'teams.yaml', text: team }];
  for (const service of services) {
    const satisfied = [0.1, 0.25, 0.5][Math.floor(rand() * 3)]!;
    const tolerated = [1, 2.5][Math.floor(rand() * 2)]!;
    files.push({
      path: `services/${service.name}.yaml`,
      text: `apiVersion: sextant.dev/v1
kind: Service
metadata:
  name: ${service.name}
spec:
  owner: platform
  tier: high
  slis:
    - name: availability
      kind: ratio
      significantLabels: [route]
      bad:
        selector: 'http_requests_total{job="${service.name}",code=~"5.."}'
      total:
        selector: 'http_requests_total{job="${service.name}"}'
    - name: latency
      kind: latency
      significantLabels: [route]
      histogram: 'http_request_duration_seconds{job="${service.name}"}'
      satisfiedSeconds: ${satisfied}
      toleratedSeconds: ${tolerated}
  slos:
    - {name: availability, sli: availability, objectivePercent: 99.9, window: 28d}
    - {name: latency, sli: latency, objectivePercent: 99, window: 28d}
`,
    });
  }
  return files;
}

/** Series no SLI selects, in the mix a Kubernetes cluster's Prometheus scrapes. */
function unrelatedPart(count: number, services: readonly Service[], rand: () => number): SeriesSpec[] {
  const out: SeriesSpec[] = [];
  // 'constant': a 0/1 state gauge or a counter that rarely moves (restarts).
  const push = (
    name: string,
    labels: Record<string, string>,
    kind: 'counter' | 'gauge' | 'constant',
    base: number,
  ) => {
    if (out.length >= count) return;
    out.push({
      labels: sorted({ __name__: name, ...labels }),
      kind: kind === 'gauge' ? 'gauge' : 'counter',
      base,
      perStep: kind === 'counter' ? rand() * 50 : 0,
      phase: rand() * 6.28,
      sli: false,
    });
  };
  // The application pods' own histogram sums and counts, and their runtime metrics.
  for (const service of services) {
    for (const { pod, instance } of service.pods) {
      const common = { job: service.name, namespace: service.namespace, pod, instance };
      for (const [method, route] of service.routes) {
        push('http_request_duration_seconds_sum', { ...common, method, route }, 'counter', 1 + rand() * 1e5);
        push(
          'http_request_duration_seconds_count',
          { ...common, method, route },
          'counter',
          1 + rand() * 1e6,
        );
      }
      for (const quantile of ['0', '0.25', '0.5', '0.75', '1'])
        push('go_gc_duration_seconds', { ...common, quantile }, 'gauge', rand() * 1e-3);
      push('go_goroutines', common, 'gauge', 20 + Math.floor(rand() * 200));
      push('go_memstats_alloc_bytes', common, 'gauge', rand() * 2e8);
      push('process_cpu_seconds_total', common, 'counter', rand() * 1e5);
      push('process_resident_memory_bytes', common, 'gauge', rand() * 5e8);
      push('process_open_fds', common, 'gauge', 10 + Math.floor(rand() * 100));
    }
  }
  // Then nodes (node exporter) and workload pods (kube-state-metrics), in turn.
  const modes = ['idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user'];
  for (let n = 0; out.length < count; n++) {
    const node = `ip-10-0-${Math.floor(n / 200)}-${n % 200}.ec2.internal`;
    const exporter = { job: 'node-exporter', instance: `${node}:9100`, node };
    for (let cpu = 0; cpu < 8; cpu++)
      for (const mode of modes)
        push('node_cpu_seconds_total', { ...exporter, cpu: String(cpu), mode }, 'counter', rand() * 1e6);
    for (const device of ['eth0', 'eth1', 'lo', 'cni0'])
      for (const what of ['receive', 'transmit'])
        for (const unit of ['bytes', 'packets', 'errs', 'drop'])
          push(`node_network_${what}_${unit}_total`, { ...exporter, device }, 'counter', rand() * 1e9);
    for (const [device, mountpoint] of [
      ['/dev/nvme0n1p1', '/'],
      ['/dev/nvme1n1', '/var/lib/kubelet'],
      ['tmpfs', '/run'],
    ])
      for (const what of ['avail', 'size', 'free'])
        push(
          `node_filesystem_${what}_bytes`,
          {
            ...exporter,
            device: device!,
            fstype: device === 'tmpfs' ? 'tmpfs' : 'ext4',
            mountpoint: mountpoint!,
          },
          'gauge',
          rand() * 1e11,
        );
    for (const what of [
      'MemTotal',
      'MemFree',
      'MemAvailable',
      'Buffers',
      'Cached',
      'Active',
      'Inactive',
      'Dirty',
    ])
      push(`node_memory_${what}_bytes`, exporter, 'gauge', rand() * 3e10);
    for (const load of ['1', '5', '15']) push(`node_load${load}`, exporter, 'gauge', rand() * 8);
    // Ten workload pods per node.
    for (let p = 0; p < 10; p++) {
      const namespace = DOMAINS[Math.floor(rand() * DOMAINS.length)]!;
      const pod = `${namespace}-job-${alnum(rand, 5)}-${alnum(rand, 5)}`;
      const ksm = { job: 'kube-state-metrics', instance: '10.0.0.5:8080', namespace, pod };
      for (const phase of ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'])
        push('kube_pod_status_phase', { ...ksm, phase }, 'constant', phase === 'Running' ? 1 : 0);
      for (const condition of ['true', 'false', 'unknown'])
        push('kube_pod_status_ready', { ...ksm, condition }, 'constant', condition === 'true' ? 1 : 0);
      const container = { ...ksm, container: 'main' };
      push('kube_pod_container_status_restarts_total', container, 'constant', Math.floor(rand() * 3));
      push('kube_pod_container_status_running', container, 'constant', 1);
      for (const [resource, unit, value] of [
        ['cpu', 'core', 0.5],
        ['memory', 'byte', 5.36870912e8],
      ] as const) {
        push('kube_pod_container_resource_requests', { ...container, resource, unit }, 'constant', value);
        push('kube_pod_container_resource_limits', { ...container, resource, unit }, 'constant', 2 * value);
      }
      push(
        'kube_pod_info',
        {
          ...ksm,
          node,
          host_ip: `10.0.${Math.floor(n / 200)}.${n % 200}`,
          pod_ip: `10.8.${n % 256}.${p + 2}`,
          created_by_kind: 'ReplicaSet',
          uid: `${hex(rand, 8)}-${hex(rand, 4)}-${hex(rand, 4)}-${hex(rand, 4)}-${hex(rand, 12)}`,
        },
        'constant',
        1,
      );
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Encoding: prometheus.WriteRequest (prompb/remote.proto, types.proto) with one sample
// per series, written by hand so that each sample's offset is known.

const encoder = new TextEncoder();

/** Sample message: tag 1 fixed64 value (8 bytes), tag 2 varint timestamp (6 bytes), 16 bytes in all. */
const SAMPLE_BYTES = 16;
/** Millisecond timestamps between 2^35 (1971) and 2^42 (2109) take exactly six varint bytes. */
const TIMESTAMP_VARINT_BYTES = 6;
const MIN_TIMESTAMP_MS = 2 ** 35;
const MAX_TIMESTAMP_MS = 2 ** 42 - 1;

function varintLength(n: number): number {
  let length = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    length++;
  }
  return length;
}

class Writer {
  bytes: Uint8Array;
  at = 0;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }
  grow(extra: number): void {
    if (this.at + extra <= this.bytes.length) return;
    const next = new Uint8Array(Math.max(this.bytes.length * 2, this.at + extra));
    next.set(this.bytes.subarray(0, this.at));
    this.bytes = next;
  }
  byte(b: number): void {
    this.bytes[this.at++] = b;
  }
  varint(n: number): void {
    while (n >= 0x80) {
      this.byte((n & 0x7f) | 0x80);
      n = Math.floor(n / 128);
    }
    this.byte(n);
  }
  raw(data: Uint8Array): void {
    this.bytes.set(data, this.at);
    this.at += data.length;
  }
}

/** Encodes one batch; returns the protobuf and the offset of each sample's value. */
function encodeBatch(series: readonly SeriesSpec[]): { protobuf: Uint8Array; valueAt: Int32Array } {
  const w = new Writer(256 * series.length + 64);
  const valueAt = new Int32Array(series.length);
  series.forEach((spec, index) => {
    const labels = spec.labels.map(([name, value]) => {
      const n = encoder.encode(name);
      const v = encoder.encode(value);
      return { n, v, length: 1 + varintLength(n.length) + n.length + 1 + varintLength(v.length) + v.length };
    });
    let length = 2 + SAMPLE_BYTES;
    for (const label of labels) length += 1 + varintLength(label.length) + label.length;
    w.grow(length + 8);
    w.byte(0x0a); // WriteRequest.timeseries = 1, length-delimited
    w.varint(length);
    for (const label of labels) {
      w.byte(0x0a); // TimeSeries.labels = 1
      w.varint(label.length);
      w.byte(0x0a); // Label.name = 1
      w.varint(label.n.length);
      w.raw(label.n);
      w.byte(0x12); // Label.value = 2
      w.varint(label.v.length);
      w.raw(label.v);
    }
    w.byte(0x12); // TimeSeries.samples = 2
    w.byte(SAMPLE_BYTES);
    w.byte(0x09); // Sample.value = 1, fixed64
    valueAt[index] = w.at;
    w.at += 8;
    w.byte(0x10); // Sample.timestamp = 2, varint
    for (let k = 0; k < TIMESTAMP_VARINT_BYTES - 1; k++) w.byte(0x80);
    w.byte(0x01);
  });
  return { protobuf: w.bytes.slice(0, w.at), valueAt };
}

// ---------------------------------------------------------------------------------------
// Snappy (google/snappy format_description.txt) with protected ranges: bytes that will be
// rewritten later are emitted as literals and never used as, or covered by, a copy.

const BLOCK_BYTES = 65536;
const HASH_BITS = 14;

function load32(src: Uint8Array, p: number): number {
  return src[p]! | (src[p + 1]! << 8) | (src[p + 2]! << 16) | (src[p + 3]! << 24);
}

function emitLiteralTag(out: Uint8Array, d: number, length: number): number {
  const n = length - 1;
  if (n < 60) {
    out[d++] = n << 2;
  } else if (n < 0x100) {
    out[d++] = 60 << 2;
    out[d++] = n;
  } else if (n < 0x10000) {
    out[d++] = 61 << 2;
    out[d++] = n & 0xff;
    out[d++] = n >>> 8;
  } else {
    out[d++] = 62 << 2;
    out[d++] = n & 0xff;
    out[d++] = (n >>> 8) & 0xff;
    out[d++] = n >>> 16;
  }
  return d;
}

function emitCopy(out: Uint8Array, d: number, offset: number, length: number): number {
  let len = length;
  while (len >= 68) {
    out[d++] = (63 << 2) | 2;
    out[d++] = offset & 0xff;
    out[d++] = offset >>> 8;
    len -= 64;
  }
  if (len > 64) {
    out[d++] = (59 << 2) | 2;
    out[d++] = offset & 0xff;
    out[d++] = offset >>> 8;
    len -= 60;
  }
  if (len >= 12 || offset >= 2048) {
    out[d++] = ((len - 1) << 2) | 2;
    out[d++] = offset & 0xff;
    out[d++] = offset >>> 8;
  } else {
    out[d++] = ((offset >>> 8) << 5) | ((len - 4) << 2) | 1;
    out[d++] = offset & 0xff;
  }
  return d;
}

/**
 * Compresses `src` as one snappy block (greedy LZ77 over 64 KiB blocks, as the reference
 * encoder) where `isProtected[i]` bytes are literals; returns the block and, for each
 * position in `track` (all protected), where its byte landed in the block.
 */
export function snappyCompressProtected(
  src: Uint8Array,
  isProtected: Uint8Array,
  track: Int32Array,
): { block: Uint8Array; tracked: Int32Array } {
  const out = new Uint8Array(32 + src.length + Math.floor(src.length / 6));
  const tracked = new Int32Array(track.length);
  let next = 0; // index into track
  let d = 0;
  let n = src.length;
  while (n >= 0x80) {
    out[d++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  out[d++] = n;
  const table = new Int32Array(1 << HASH_BITS);
  const literal = (from: number, to: number) => {
    if (to <= from) return;
    d = emitLiteralTag(out, d, to - from);
    out.set(src.subarray(from, to), d);
    while (next < track.length && track[next]! < to) {
      tracked[next] = d + track[next]! - from;
      next++;
    }
    d += to - from;
  };
  const free4 = (p: number) =>
    (isProtected[p]! | isProtected[p + 1]! | isProtected[p + 2]! | isProtected[p + 3]!) === 0;
  for (let start = 0, end = 0; start < src.length; start = end) {
    // Blocks end outside protected ranges, so each range stays in one literal.
    end = Math.min(start + BLOCK_BYTES, src.length);
    while (end < src.length && isProtected[end - 1] === 1 && isProtected[end] === 1) end--;
    table.fill(-1);
    let emitFrom = start;
    let s = start;
    while (s + 4 <= end) {
      if (!free4(s)) {
        s++;
        continue;
      }
      const word = load32(src, s);
      const h = Math.imul(word, 0x1e35a7bd) >>> (32 - HASH_BITS);
      const candidate = table[h]!;
      table[h] = s;
      if (candidate < start || load32(src, candidate) !== word) {
        s++;
        continue;
      }
      let length = 4;
      while (
        s + length < end &&
        isProtected[s + length] === 0 &&
        isProtected[candidate + length] === 0 &&
        src[s + length] === src[candidate + length]
      )
        length++;
      literal(emitFrom, s);
      d = emitCopy(out, d, s - candidate, length);
      s += length;
      emitFrom = s;
    }
    literal(emitFrom, end);
  }
  if (next !== track.length) throw new Error('snappyCompressProtected: a tracked byte was not in a literal');
  return { block: out.slice(0, d), tracked };
}

// ---------------------------------------------------------------------------------------

/**
 * Generates the catalog and the batches. Series are shuffled before batching, as
 * Prometheus's sharding by series hash mixes targets within a request.
 */
export function generateStream(options: StreamOptions): Stream {
  const started = performance.now();
  const rand = random(options.seed);
  const sli = sliPart(options.sliSeries, rand);
  const unrelated = unrelatedPart(options.unrelatedSeries, sli.services, rand);
  const all = [...sli.series, ...unrelated];
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  const batches: BatchTemplate[] = [];
  const batchCount = Math.ceil(all.length / options.batchSamples);
  let compressed = 0;
  let uncompressed = 0;
  for (let b = 0; b < batchCount; b++) {
    const series = all.slice(b * options.batchSamples, (b + 1) * options.batchSamples);
    const { protobuf, valueAt } = encodeBatch(series);
    const isProtected = new Uint8Array(protobuf.length);
    for (const at of valueAt) isProtected.fill(1, at, at + 9 + TIMESTAMP_VARINT_BYTES);
    const { block, tracked } = snappyCompressProtected(protobuf, isProtected, valueAt);
    compressed += block.length;
    uncompressed += protobuf.length;
    batches.push({
      body: Buffer.from(block.buffer, block.byteOffset, block.byteLength),
      samples: series.length,
      sliSamples: series.filter((spec) => spec.sli).length,
      uncompressedBytes: protobuf.length,
      valueAt: tracked,
      kind: Uint8Array.from(series, (spec) => (spec.kind === 'counter' ? COUNTER : GAUGE)),
      base: Float64Array.from(series, (spec) => spec.base),
      perStep: Float64Array.from(series, (spec) => spec.perStep),
      phase: Float64Array.from(series, (spec) => spec.phase),
      offsetMs: Math.floor((b * SCRAPE_INTERVAL_MS) / batchCount),
    });
  }
  return {
    catalog: sli.catalog,
    batches,
    counts: {
      services: sli.services.length,
      slis: 2 * sli.services.length,
      sliSeries: sli.series.length,
      unrelatedSeries: unrelated.length,
      batches: batches.length,
      compressedBytesPerStep: compressed,
      uncompressedBytesPerStep: uncompressed,
      generateMs: performance.now() - started,
    },
  };
}

/** The value of sample `i` of a batch at `step`. */
export function sampleValue(batch: BatchTemplate, i: number, step: number): number {
  return batch.kind[i] === COUNTER
    ? Math.floor(batch.base[i]! + step * batch.perStep[i]!)
    : batch.base[i]! * (1 + 0.05 * Math.sin(0.3 * step + batch.phase[i]!));
}

/** The timestamp of every sample of a batch at `step`, for a stream starting at `startMs`. */
export function sampleTimestampMs(batch: BatchTemplate, step: number, startMs: number): number {
  return startMs + step * SCRAPE_INTERVAL_MS + batch.offsetMs;
}

/** Writes time step `step` (values and timestamps) into the batch's body, in place. */
export function patchBatch(batch: BatchTemplate, step: number, startMs: number): void {
  const timestampMs = sampleTimestampMs(batch, step, startMs);
  if (timestampMs < MIN_TIMESTAMP_MS || timestampMs > MAX_TIMESTAMP_MS)
    throw new RangeError(`timestamp ${timestampMs} does not take ${TIMESTAMP_VARINT_BYTES} varint bytes`);
  // The six varint bytes of the timestamp, least significant group first.
  const t = timestampMs;
  const s0 = (t % 128) | 0x80;
  const s1 = (Math.floor(t / 2 ** 7) % 128) | 0x80;
  const s2 = (Math.floor(t / 2 ** 14) % 128) | 0x80;
  const s3 = (Math.floor(t / 2 ** 21) % 128) | 0x80;
  const s4 = (Math.floor(t / 2 ** 28) % 128) | 0x80;
  const s5 = Math.floor(t / 2 ** 35);
  const body = batch.body;
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const { valueAt } = batch;
  for (let i = 0; i < valueAt.length; i++) {
    const at = valueAt[i]!;
    view.setFloat64(at, sampleValue(batch, i, step), true);
    body[at + 9] = s0;
    body[at + 10] = s1;
    body[at + 11] = s2;
    body[at + 12] = s3;
    body[at + 13] = s4;
    body[at + 14] = s5;
  }
}
