/**
 * Speed check for the OTLP metrics decoder, run by hand:
 *
 *   node src/otlp/bench-decode.ts [pointsPerRequest=10000] [seconds=2]
 *
 * Builds a request shaped like an instrumented HTTP service (a latency histogram with the
 * semconv default buckets, a request counter and a gauge; a dozen resource attributes;
 * four attributes per point, the status code an int), then decodes it repeatedly from
 * protobuf and from JSON and prints data points per second.
 */

import {
  attributesOf,
  decodeMetricsJson,
  decodeMetricsProtobuf,
  encodeMetricsRequestJson,
  encodeMetricsRequestProtobuf,
  metricOf,
  type OtlpHistogramDataPoint,
  type OtlpMetricsRequest,
  type OtlpNumberDataPoint,
  type OtlpResult,
  requestOf,
  resourceMetricsOf,
  scopeMetricsOf,
} from './index.ts';

const BOUNDS = [0, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const ROUTES = ['/api/pay', '/api/cart', '/api/items/{id}', '/health', '/api/users/{id}/orders'];
const CODES = [200, 200, 200, 201, 404, 500];

/** A request with about `points` data points: 1/2 histogram, 1/4 counter, 1/4 gauge. */
export function benchRequest(points: number): OtlpMetricsRequest {
  const start = 1_700_000_000_000_000_000n;
  const time = start + 60_000_000_000n;
  const histogramPoints: OtlpHistogramDataPoint[] = [];
  const counterPoints: OtlpNumberDataPoint[] = [];
  const gaugePoints: OtlpNumberDataPoint[] = [];
  for (let i = 0; i < points; i++) {
    const attributes = attributesOf({
      'http.request.method': i % 3 === 0 ? 'POST' : 'GET',
      'http.route': ROUTES[i % ROUTES.length]!,
      'http.response.status_code': CODES[i % CODES.length]!,
      'url.scheme': 'https',
      'server.port': 8000 + (i % 50),
    });
    const kind = i % 4;
    if (kind < 2) {
      const bucketCounts = BOUNDS.map((_, b) => (i * 7 + b * 13) % 100);
      bucketCounts.push(i % 5);
      const count = bucketCounts.reduce((a, b) => a + b, 0);
      histogramPoints.push({
        attributes,
        startTimeUnixNano: start,
        timeUnixNano: time,
        flags: 0,
        count,
        sum: count * 0.042,
        bucketCounts,
        explicitBounds: BOUNDS,
        min: 0.001,
        max: 9.5,
      });
    } else if (kind === 2) {
      counterPoints.push({
        attributes,
        startTimeUnixNano: start,
        timeUnixNano: time,
        flags: 0,
        asInt: i * 31,
      });
    } else {
      gaugePoints.push({ attributes, startTimeUnixNano: 0, timeUnixNano: time, flags: 0, asDouble: i / 7 });
    }
  }
  return requestOf(
    resourceMetricsOf(
      {
        'service.name': 'checkout',
        'service.namespace': 'shop',
        'service.instance.id': '627cc493-f310-47de-96bd-71410b7dec09',
        'service.version': '2.3.1',
        'deployment.environment.name': 'production',
        'host.name': 'ip-10-0-12-34.ec2.internal',
        'k8s.namespace.name': 'shop',
        'k8s.pod.name': 'checkout-7d9f8b6c5d-x2x9q',
        'k8s.node.name': 'node-12',
        'cloud.region': 'eu-west-1',
        'telemetry.sdk.language': 'go',
        'telemetry.sdk.version': '1.32.0',
      },
      [
        scopeMetricsOf(
          [
            metricOf(
              'http.server.request.duration',
              { type: 'histogram', aggregationTemporality: 2, dataPoints: histogramPoints },
              { unit: 's' },
            ),
            metricOf('http.server.requests', {
              type: 'sum',
              aggregationTemporality: 2,
              isMonotonic: true,
              dataPoints: counterPoints,
            }),
            metricOf(
              'http.server.active_requests',
              { type: 'gauge', dataPoints: gaugePoints },
              { unit: '{request}' },
            ),
          ],
          { name: 'go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp', version: '0.57.0' },
        ),
      ],
    ),
  );
}

/**
 * Decodes repeatedly for `seconds`, reporting throughput per wall-clock second and per
 * CPU second of this process (the latter holds up on a machine shared with other work).
 */
function measure(
  label: string,
  bytes: number,
  points: number,
  seconds: number,
  decode: () => OtlpResult<unknown>,
): void {
  const first = decode();
  if (!first.ok) throw new Error(`${label}: ${JSON.stringify(first.issues)}`);
  for (let i = 0; i < 3; i++) decode(); // warm up
  let runs = 0;
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < seconds * 1000) {
    decode();
    runs++;
    elapsed = performance.now() - started;
  }
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const format = (n: number) => Math.round(n).toLocaleString('en-US').padStart(10);
  console.log(
    `${label.padEnd(9)} ${(bytes / 1e6).toFixed(2)} MB/request  ` +
      `${format((runs * points) / (elapsed / 1000))} points/s wall  ${format((runs * points) / cpuSeconds)} points/s CPU  ` +
      `${((runs * bytes) / cpuSeconds / 1e6).toFixed(0).padStart(4)} MB/s CPU  (${(elapsed / runs).toFixed(1)} ms/request)`,
  );
}

const points = Number(process.argv[2] ?? 10_000);
const seconds = Number(process.argv[3] ?? 2);
const request = benchRequest(points);
const protobuf = encodeMetricsRequestProtobuf(request);
const json = encodeMetricsRequestJson(request);
console.log(`${points} data points per request, node ${process.version}`);
measure('protobuf', protobuf.length, points, seconds, () => decodeMetricsProtobuf(protobuf));
measure('json', Buffer.byteLength(json), points, seconds, () => decodeMetricsJson(json));
