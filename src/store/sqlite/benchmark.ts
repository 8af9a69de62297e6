/**
 * Bulk-loads a synthetic fleet into a SQLite count store and times full SLO status of every
 * series: 28-day budget plus the four Workbook burn-rate tiers and alert states, cold (store
 * just opened), warm (same instant again) and one minute later (after one `put` batch with
 * that minute of every series; those minutes are cleared again at the end, so `--skip-load`
 * runs see the same data).
 *
 *   node src/store/sqlite/benchmark.ts [--series 10000] [--days 28] [--path FILE] [--keep]
 *     [--durability full|normal|off] [--skip-load]
 *
 * Counts are pseudo-random but deterministic (seeded per series): 100-4,000 requests a
 * minute, about one minute in twenty with a few errors.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_ALERT_TIERS, DEFAULT_MIN_EVENTS, evaluateSlo, type SloDefinition } from '../../slo/index.ts';
import type { CountWrite, DenseWrite } from '../types.ts';
import { type Durability, openSqliteCountStore, type SqliteCountStore } from './index.ts';

/** xorshift32: fast, deterministic, good enough for load shapes. */
function random(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4_294_967_296;
  };
}

function seriesData(index: number, startMinute: number, minutes: number): DenseWrite {
  const next = random(0x9e3779b9 ^ (index * 2_654_435_761));
  const good = new Float64Array(minutes);
  const total = new Float64Array(minutes);
  const base = 100 + Math.floor(next() * 3900);
  for (let i = 0; i < minutes; i++) {
    const t = base + Math.floor(next() * 64);
    total[i] = t;
    good[i] = next() < 0.05 ? t - Math.floor(next() * 8) : t;
  }
  return { sli: `service-${index % 500}/requests`, labels: { route: `r${index}` }, startMinute, good, total };
}

function open(path: string, durability: Durability): SqliteCountStore {
  const opened = openSqliteCountStore({ path, durability });
  if (!opened.ok) throw new Error(JSON.stringify(opened.issues));
  return opened.value;
}

function definition(id: string): SloDefinition {
  return {
    id,
    objectiveRatio: 0.999,
    window: { kind: 'rolling', minutes: 28 * 1440 },
    budgeting: { method: 'occurrences' },
    alerting: {
      enabled: true,
      tiers: DEFAULT_ALERT_TIERS.map((t) => ({ ...t })),
      minEvents: DEFAULT_MIN_EVENTS,
      budgetExhausted: true,
      trafficCessation: true,
    },
    maintenance: [],
  };
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      series: { type: 'string', default: '10000' },
      days: { type: 'string', default: '28' },
      path: { type: 'string' },
      keep: { type: 'boolean', default: false },
      durability: { type: 'string', default: 'full' },
      'skip-load': { type: 'boolean', default: false },
    },
  });
  const seriesCount = Number(values.series);
  const minutes = Number(values.days) * 1440;
  const durability = values.durability as Durability;
  const dir = values.path === undefined ? mkdtempSync(join(tmpdir(), 'sextant-bench-')) : undefined;
  const path = values.path ?? join(dir!, 'counts.db');
  // Evaluate at a fixed instant one minute after the data, mid-hour like a real clock.
  const endMinute = Math.floor(Date.UTC(2026, 10, 1) / 60_000) + 30;
  const startMinute = endMinute - minutes;
  const atMs = endMinute * 60_000 + 15_000;

  if (!values['skip-load']) {
    const store = open(path, durability);
    const started = performance.now();
    const batch = 25;
    for (let s = 0; s < seriesCount; s += batch) {
      const writes: DenseWrite[] = [];
      for (let i = s; i < Math.min(seriesCount, s + batch); i++)
        writes.push(seriesData(i, startMinute, minutes));
      const result = store.putDenseSync(writes);
      if (!result.ok) throw new Error(JSON.stringify(result.issues.slice(0, 3)));
    }
    store.closeSync();
    const seconds = (performance.now() - started) / 1000;
    const bytes = statSync(path).size;
    const bucketCount = seriesCount * minutes;
    console.log(
      `load: ${seriesCount} series x ${minutes} minutes = ${(bucketCount / 1e6).toFixed(1)}M buckets in ${seconds.toFixed(1)} s (${(bucketCount / seconds / 1e6).toFixed(2)}M buckets/s, durability ${durability}); file ${mib(bytes)}, ${(bytes / bucketCount).toFixed(2)} bytes/series-minute`,
    );
  }

  const store = open(path, durability);
  const series = await store.listSeries();
  const reader = store.readerSync();
  const work = series.map((s) => ({
    series: reader.series(s),
    definition: definition(`${s.sli}/${s.labels['route']}`),
  }));
  const evaluateAll = () => {
    let firing = 0;
    for (const w of work) {
      const status = evaluateSlo(w.definition, w.series, atMs);
      if (!status.ok) throw new Error(JSON.stringify(status.issues));
      if (status.value.tiers.some((t) => t.conditionMet)) firing++;
    }
    return firing;
  };
  for (const label of ['cold', 'warm', 'warm', 'warm', 'warm', 'warm']) {
    const started = performance.now();
    const firing = evaluateAll();
    console.log(
      `${label}: status of ${work.length} SLOs in ${(performance.now() - started).toFixed(1)} ms (${firing} with a tier condition met)`,
    );
  }
  // One minute later, three times: the minute that just ended arrives for every series in
  // one batch, then every SLO is evaluated at the next minute.
  const liveMinutes = [0, 1, 2].map((r) => endMinute + r);
  for (const [r, minute] of liveMinutes.entries()) {
    const writes: CountWrite[] = series.map((s, i) => {
      const total = 100 + ((i * 7 + r) % 3900);
      return { sli: s.sli, labels: s.labels, minute, good: i % 20 === 0 ? total - 3 : total, total };
    });
    const wrote = performance.now();
    const written = await store.put(writes);
    if (!written.ok) throw new Error(JSON.stringify(written.issues.slice(0, 3)));
    const started = performance.now();
    let firing = 0;
    for (const w of work) {
      const status = evaluateSlo(w.definition, w.series, atMs + (r + 1) * 60_000);
      if (!status.ok) throw new Error(JSON.stringify(status.issues));
      if (status.value.tiers.some((t) => t.conditionMet)) firing++;
    }
    console.log(
      `next minute: write of ${writes.length} buckets in ${(started - wrote).toFixed(1)} ms, status of ${work.length} SLOs in ${(performance.now() - started).toFixed(1)} ms (${firing} with a tier condition met)`,
    );
  }
  // Every SLI summed across its label values (500 SLIs of 20 series each).
  const slis = [...new Set(series.map((s) => s.sli))];
  const started = performance.now();
  for (const sli of slis) evaluateSlo(definition(sli), reader.sliSeries(sli), atMs);
  console.log(
    `warm: ${slis.length} per-SLI SLOs (summed series) in ${(performance.now() - started).toFixed(1)} ms`,
  );
  console.log(`peak RSS ${mib(process.resourceUsage().maxRSS * 1024)}`);
  const cleared = await store.put(
    liveMinutes.flatMap((minute) =>
      series.map((s) => ({ sli: s.sli, labels: s.labels, minute, good: 0, total: 0 })),
    ),
  );
  if (!cleared.ok) throw new Error(JSON.stringify(cleared.issues.slice(0, 3)));
  store.closeSync();
  if (dir !== undefined && !values.keep) rmSync(dir, { recursive: true, force: true });
}

if (import.meta.main) await main();
