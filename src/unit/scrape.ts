/**
 * Scraping OpenMetrics / Prometheus text endpoints on an interval, with the same
 * reduction as every other source. Like Prometheus with `honor_labels: true`, labels the
 * target exposes win; `job` (the target's name) and `instance` (host:port) are added
 * when absent, then the target's configured labels.
 */

import { parseExposition } from '../exposition/index.ts';
import type { BatchReducer } from '../ingest/index.ts';
import type { UnitConfig } from './config.ts';
import type { Logger } from './logger.ts';
import type { MetricsRegistry } from './metrics.ts';
import type { ApplyResult } from './state.ts';

type Target = UnitConfig['sources']['scrape'][number];

const ACCEPT = 'application/openmetrics-text;version=1.0.0;q=0.9,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

/** The outcome of one scrape. */
export interface ScrapeResult {
  ok: boolean;
  samples: number;
  error?: string;
}

/** Scrapes one target once and ingests what it exposes. */
export async function scrapeOnce(
  target: Target,
  deps: {
    now: () => number;
    ingest: (source: string, feed: (reducer: BatchReducer) => void) => ApplyResult;
    fetch?: typeof fetch;
  },
): Promise<ScrapeResult> {
  const scrapeTimeMs = deps.now();
  let response: Response;
  try {
    response = await (deps.fetch ?? fetch)(target.url, {
      headers: { accept: ACCEPT },
      signal: AbortSignal.timeout(target.timeout),
    });
  } catch (error) {
    return { ok: false, samples: 0, error: `cannot reach ${target.url}: ${(error as Error).message}` };
  }
  if (!response.ok) {
    await response.body?.cancel();
    return { ok: false, samples: 0, error: `${target.url} answered ${response.status}` };
  }
  const text = await response.text();
  const parsed = parseExposition(text, {
    format: 'auto',
    contentType: response.headers.get('content-type') ?? undefined,
    scrapeTimeMs,
  });
  if (parsed.rejected) {
    const first = parsed.issues[0];
    return {
      ok: false,
      samples: 0,
      error: `${target.url}: invalid exposition${first ? ` (line ${first.line}: ${first.message})` : ''}`,
    };
  }
  const instance = new URL(target.url).host;
  let samples = 0;
  deps.ingest('scrape', (reducer) => {
    for (const family of parsed.families) {
      for (const sample of family.samples) {
        const labels: Record<string, string> = {
          ...target.labels,
          job: target.name,
          instance,
          ...sample.labels,
        };
        labels['__name__'] = sample.name;
        reducer.series(labels, [
          { timestampMs: Math.round(sample.timestampMs ?? scrapeTimeMs), value: sample.value },
        ]);
        samples += 1;
      }
    }
  });
  return {
    ok: true,
    samples,
    ...(parsed.issues.length > 0 ? { error: `${parsed.issues.length} line(s) skipped` } : {}),
  };
}

/** Runs every target on its interval until stopped. `timeScale` compresses time for demos. */
export function startScrapers(
  targets: readonly Target[],
  deps: {
    now: () => number;
    ingest: (source: string, feed: (reducer: BatchReducer) => void) => ApplyResult;
    metrics: MetricsRegistry;
    log: Logger;
    timeScale?: number;
  },
): () => void {
  const timers = new Map<string, NodeJS.Timeout>();
  let stopped = false;
  const scale = deps.timeScale ?? 1;
  for (const target of targets) {
    const labels = { target: target.name };
    const run = async () => {
      if (stopped) return;
      const started = performance.now();
      const result = await scrapeOnce(target, deps).catch(
        (error: unknown): ScrapeResult => ({ ok: false, samples: 0, error: (error as Error).message }),
      );
      deps.metrics.set(
        'sextant_unit_scrape_up',
        'Whether the last scrape of a target succeeded.',
        result.ok ? 1 : 0,
        labels,
      );
      deps.metrics.set(
        'sextant_unit_scrape_duration_seconds',
        'Duration of the last scrape.',
        (performance.now() - started) / 1000,
        labels,
      );
      deps.metrics.set('sextant_unit_scrape_samples', 'Samples in the last scrape.', result.samples, labels);
      if (!result.ok) deps.log('warn', 'scrape failed', { target: target.name, error: result.error });
      if (!stopped) timers.set(target.name, setTimeout(run, target.interval / scale).unref());
    };
    timers.set(target.name, setTimeout(run, 0).unref());
  }
  return () => {
    stopped = true;
    for (const timer of timers.values()) clearTimeout(timer);
  };
}
