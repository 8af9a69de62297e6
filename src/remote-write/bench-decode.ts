/**
 * Micro-benchmark of the remote-write decode path (run by hand, not a test):
 *
 *   node src/remote-write/bench-decode.ts [seriesPerRequest=2000] [seconds per case=1.5]
 *
 * The payload imitates one Prometheus send at max_samples_per_send 2000: 2,000 series
 * of one sample each, 8 labels per series (`__name__`, job, instance, namespace, pod,
 * container, and two metric-specific labels), drawn from 200 metric names.
 */

import {
  decodeWriteRequest,
  encodeWriteRequest,
  encodeWriteRequestV2,
  type Label,
  LabelInterner,
  type SeriesView,
  snappyCompress,
  snappyDecompress,
  type TimeSeriesInput,
  visitWriteRequest,
  visitWriteRequestV2,
} from './index.ts';

const seriesPerRequest = Number(process.argv[2] ?? 2000);
const secondsPerCase = Number(process.argv[3] ?? 1.5);

/** Deterministic pseudo-random numbers (mulberry32), so every run measures the same payload. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const METRICS = Array.from({ length: 200 }, (_, i) => {
  const kinds = ['http_requests_total', 'http_request_duration_seconds_bucket', 'process_cpu_seconds_total'];
  return `${['api', 'node', 'kube', 'grpc', 'db'][i % 5]}_${kinds[i % 3]}_${i}`;
});

function buildSeries(count: number): TimeSeriesInput[] {
  const rnd = random(42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const now = 1_732_000_000_000;
  const out: TimeSeriesInput[] = [];
  for (let i = 0; i < count; i++) {
    const labels: Label[] = [
      { name: '__name__', value: METRICS[i % METRICS.length]! },
      { name: 'code', value: pick(['200', '201', '404', '500', '503']) },
      { name: 'container', value: pick(['app', 'sidecar', 'envoy']) },
      { name: 'instance', value: `10.0.${Math.floor(rnd() * 16)}.${Math.floor(rnd() * 250)}:9100` },
      { name: 'job', value: pick(['api-server', 'node-exporter', 'kube-state-metrics', 'checkout']) },
      { name: 'method', value: pick(['GET', 'POST', 'PUT', 'DELETE']) },
      { name: 'namespace', value: pick(['default', 'payments', 'search', 'platform']) },
      { name: 'pod', value: `checkout-7d9f8b6c5-${Math.floor(rnd() * 1e6).toString(36)}` },
    ];
    out.push({ labels, samples: [{ value: Math.floor(rnd() * 1e6), timestampMs: now + i }] });
  }
  return out;
}

interface Measurement {
  name: string;
  /** Per request, median of five rounds. CPU time is steadier than wall time on shared machines. */
  cpuMicros: number;
  wallMicros: number;
}

function measure(name: string, run: () => void): Measurement {
  const budgetMs = secondsPerCase * 1000;
  // Warm up until the optimising compiler (TurboFan) has taken over, as in a long-running
  // server: at least 300 runs and one second.
  const warmStart = performance.now();
  for (let i = 0; i < 300 || performance.now() - warmStart < 1000; i++) run();
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let round = 0; round < 5; round++) {
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    let runs = 0;
    while (performance.now() - start < budgetMs / 5) {
      run();
      runs++;
    }
    const used = process.cpuUsage(cpuStart);
    wall.push(((performance.now() - start) * 1000) / runs);
    cpu.push((used.user + used.system) / runs);
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[2]!;
  return { name, cpuMicros: median(cpu), wallMicros: median(wall) };
}

const series = buildSeries(seriesPerRequest);
const v1 = encodeWriteRequest({ timeseries: series });
const v2 = encodeWriteRequestV2({ timeseries: series });
const v1Body = snappyCompress(v1);
const v2Body = snappyCompress(v2);
const LIMIT = 64 << 20;
const wanted = new Set(METRICS.filter((_, i) => i % 10 === 0)); // 10% of series
const interner = new LabelInterner();
let sink = 0;

/** A visitor that reads everything a matcher and an SLI counter would read. */
function touchAll(s: SeriesView): void {
  for (let i = 0; i < s.labelCount; i++) sink += s.labelName(i).length + s.labelValue(i).length;
  for (let i = 0; i < s.sampleCount; i++) sink += s.sampleValue(i) + (s.sampleIsStale(i) ? 1 : 0);
}
/** A visitor that materialises the accepted series as plain objects. */
function keep(s: SeriesView): void {
  sink += s.labels().length + s.samples().length;
}

function decompressed(body: Uint8Array): Uint8Array {
  const r = snappyDecompress(body, LIMIT);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value;
}

function check(result: { ok: boolean }): void {
  if (!result.ok) throw new Error('decode failed');
}

/** Calibration: one pass summing the bytes of the v1 payload, the floor for anything reading it. */
function byteSum(bytes: Uint8Array): number {
  let s = 0;
  const n = bytes.length;
  for (let i = 0; i < n; i++) s = (s + bytes[i]!) | 0;
  return s;
}

const cases: Measurement[] = [
  measure('calibration: sum the bytes of the v1 payload once', () => {
    sink += byteSum(v1);
  }),
  measure('snappy decompress only (v1 body)', () => {
    sink += decompressed(v1Body).length;
  }),
  measure('v1 decode, every series, all labels as strings', () => {
    check(visitWriteRequest(v1, { onSeries: touchAll }, { interner }));
  }),
  measure('v1 decode into plain objects (decodeWriteRequest)', () => {
    check(decodeWriteRequest(v1, { interner }));
  }),
  measure('v1 decode, filter keeps 10% (materialised)', () => {
    check(visitWriteRequest(v1, { onSeries: keep }, { interner, acceptMetricName: (n) => wanted.has(n) }));
  }),
  measure('v1 body end to end: decompress + decode, filter 10%', () => {
    check(
      visitWriteRequest(
        decompressed(v1Body),
        { onSeries: keep },
        { interner, acceptMetricName: (n) => wanted.has(n) },
      ),
    );
  }),
  measure('v2 decode, every series, all labels as strings', () => {
    check(visitWriteRequestV2(v2, { onSeries: touchAll }, { interner }));
  }),
  measure('v2 body end to end: decompress + decode, filter 10%', () => {
    check(
      visitWriteRequestV2(
        decompressed(v2Body),
        { onSeries: keep },
        { interner, acceptMetricName: (n) => wanted.has(n) },
      ),
    );
  }),
  measure('v1 encode (load generator side)', () => {
    sink += encodeWriteRequest({ timeseries: series }).length;
  }),
  measure('snappy compress (v1 payload, load generator side)', () => {
    sink += snappyCompress(v1).length;
  }),
];

console.log(
  `payload: ${seriesPerRequest} series x 1 sample x 8 labels; v1 ${v1.length} B -> snappy ${v1Body.length} B; ` +
    `v2 ${v2.length} B -> snappy ${v2Body.length} B; node ${process.version}`,
);
console.log(
  `${'case'.padEnd(56)} ${'CPU µs/req'.padStart(10)} ${'M samples/s'.padStart(12)} ${'wall µs/req'.padStart(12)}`,
);
for (const c of cases) {
  const rate = seriesPerRequest / (c.cpuMicros / 1e6) / 1e6;
  console.log(
    `${c.name.padEnd(56)} ${c.cpuMicros.toFixed(0).padStart(10)} ${rate.toFixed(2).padStart(12)} ${c.wallMicros.toFixed(0).padStart(12)}`,
  );
}
if (sink === -1) console.log(sink);
