/** Shared by the simulator's tests: the example fleet and a unit-like scrape loop. */

import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { Catalog } from '../catalog/index.ts';
import { loadCatalogFromPaths } from '../catalog-files/index.ts';
import {
  type BatchChanges,
  BatchReducer,
  type IngestPlan,
  type ReducerStateSource,
  type RoleSums,
  type SeriesCursor,
} from '../ingest/index.ts';
import { type Simulator, samplesAt } from './index.ts';

const FLEET = fileURLToPath(new URL('../../examples/fleet/', import.meta.url));

let fleet: Promise<Catalog> | undefined;

/** The example fleet's catalog (loaded once per test file). */
export function loadFleet(): Promise<Catalog> {
  fleet ??= loadCatalogFromPaths([FLEET]).then(({ build }) => {
    assert.ok(build.valid, 'the example fleet validates');
    return build.catalog;
  });
  return fleet;
}

/** The unit's state, in memory: cursors, role sums and buckets, applied batch by batch. */
export class MemoryState implements ReducerStateSource {
  readonly cursors = new Map<string, SeriesCursor>();
  readonly roleSums = new Map<string, RoleSums>();
  readonly buckets = new Map<
    string,
    { sli: string; labels: Record<string, string>; minute: number; good: number; total: number }
  >();

  cursor(key: string): SeriesCursor | undefined {
    return this.cursors.get(key);
  }

  sums(sli: string, labels: Record<string, string>, minute: number): RoleSums | undefined {
    return this.roleSums.get(`${sli}|${JSON.stringify(labels)}|${minute}`);
  }

  apply(changes: BatchChanges): void {
    for (const [key, cursor] of changes.cursors) {
      if (cursor === undefined) this.cursors.delete(key);
      else this.cursors.set(key, cursor);
    }
    for (const entry of changes.sums.values()) {
      this.roleSums.set(`${entry.sli}|${JSON.stringify(entry.labels)}|${entry.minute}`, entry.sums);
    }
    for (const bucket of changes.buckets) {
      this.buckets.set(`${bucket.sli}|${JSON.stringify(bucket.labels)}|${bucket.minute}`, bucket);
    }
  }

  /** One bucket, or undefined when nothing was counted for it. */
  bucket(sli: string, labels: Record<string, string>, minute: number) {
    const bucket = this.buckets.get(`${sli}|${JSON.stringify(labels)}|${minute}`);
    return bucket === undefined ? undefined : { good: bucket.good, total: bucket.total };
  }

  /** Good and total of an SLI in a minute, summed over its series whose labels pass `filter`. */
  sliTotals(sli: string, minute: number, filter: (labels: Record<string, string>) => boolean = () => true) {
    let good = 0;
    let total = 0;
    for (const bucket of this.buckets.values()) {
      if (bucket.sli !== sli || bucket.minute !== minute || !filter(bucket.labels)) continue;
      good += bucket.good;
      total += bucket.total;
    }
    return { good, total };
  }
}

/** One scrape as the unit does it: every sample of the simulator at `atMs` in one batch. */
export function scrape(
  plan: IngestPlan,
  state: MemoryState,
  simulator: Simulator,
  atMs: number,
): BatchChanges {
  const reducer = new BatchReducer(plan, state);
  for (const sample of samplesAt(simulator, atMs)) {
    reducer.series(sample.labels, [{ timestampMs: sample.timestampMs, value: sample.value }]);
  }
  const changes = reducer.changes();
  state.apply(changes);
  return changes;
}
