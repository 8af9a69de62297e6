/**
 * Parse speed on a realistic scrape of 10,000 series (counters, gauges and histograms
 * with a few labels each), in both formats. Wall time suffers on a busy machine; the CPU
 * time of the process (GC threads included) is the steadier figure. Run by hand:
 *
 *   node src/exposition/bench-parse.ts [series=10000] [iterations=50]
 */
import { formatExposition, type MetricFamily, parseExposition, type Sample } from './index.ts';

const SERIES = Number(process.argv[2] ?? 10_000);
const ITERATIONS = Number(process.argv[3] ?? 50);
const BUCKETS = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1.0', '2.5', '5.0', '10.0', '+Inf'];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];

/** A scrape shaped like a busy service: per-route request counters and latency histograms. */
function scrape(series: number): MetricFamily[] {
  const families: MetricFamily[] = [];
  let count = 0;
  for (let f = 0; count < series; f++) {
    const kind = f % 3;
    const name = kind === 2 ? `app_latency_${f}_seconds` : `app_${kind === 0 ? 'requests' : 'inflight'}_${f}`;
    const samples: Sample[] = [];
    for (let route = 0; route < 20 && count < series; route++) {
      const labels = {
        service: 'checkout',
        route: `/api/v1/resource/${route}`,
        method: METHODS[route % 4] as string,
        code: route % 7 === 0 ? '500' : '200',
      };
      if (kind === 0) {
        samples.push({ name: `${name}_total`, labels, value: 1000 + route * 17 });
        count++;
      } else if (kind === 1) {
        samples.push({ name, labels, value: route / 3 });
        count++;
      } else {
        let cumulative = 0;
        for (const le of BUCKETS) {
          cumulative += route + 1;
          samples.push({ name: `${name}_bucket`, labels: { ...labels, le }, value: cumulative });
        }
        samples.push({ name: `${name}_count`, labels, value: cumulative });
        samples.push({ name: `${name}_sum`, labels, value: cumulative * 0.042 });
        count += BUCKETS.length + 2;
      }
    }
    const type = kind === 0 ? 'counter' : kind === 1 ? 'gauge' : 'histogram';
    families.push({ name, type, help: `Help for ${name}.`, unit: kind === 2 ? 'seconds' : '', samples });
  }
  return families;
}

const families = scrape(SERIES);
const sampleCount = families.reduce((n, family) => n + family.samples.length, 0);
for (const format of ['prometheus', 'openmetrics'] as const) {
  const text = formatExposition(families, format);
  const options = { format, scrapeTimeMs: Date.now() };
  const check = parseExposition(text, options);
  if (check.issues.length > 0 || check.rejected)
    throw new Error(`bench input has issues: ${check.issues[0]?.message}`);
  for (let i = 0; i < 20; i++) parseExposition(text, options); // warm up the JIT
  const times: number[] = [];
  const cpuTimes: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const cpu = process.cpuUsage();
    const start = performance.now();
    parseExposition(text, options);
    times.push(performance.now() - start);
    const used = process.cpuUsage(cpu);
    cpuTimes.push((used.user + used.system) / 1000);
  }
  times.sort((a, b) => a - b);
  cpuTimes.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] as number;
  const p90 = times[Math.floor(times.length * 0.9)] as number;
  const megabytes = Buffer.byteLength(text) / 1e6;
  console.log(
    `${format.padEnd(11)} ${sampleCount} series, ${megabytes.toFixed(2)} MB: ` +
      `median ${median.toFixed(2)} ms, p90 ${p90.toFixed(2)} ms, min ${(times[0] as number).toFixed(2)} ms, ` +
      `median CPU ${(cpuTimes[Math.floor(cpuTimes.length / 2)] as number).toFixed(2)} ms ` +
      `(${((sampleCount / median) * 1000).toFixed(0)} series/s, ${(megabytes / (median / 1000)).toFixed(0)} MB/s)`,
  );
}
