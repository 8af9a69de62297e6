/**
 * The unit's durability promise (docs/unit.md, "Durability") with real processes: what
 * was acknowledged (2xx) is on disk and counted exactly once, across SIGKILL at random
 * moments, a full disk and a graceful stop; a damaged database is refused, never touched.
 *
 * Writers behave as Prometheus remote-write shards: each sends its batches in order, one
 * at a time, and resends the same bytes after a connection error or a 5xx until it gets
 * a 2xx (or a 4xx, which a sender drops; none may happen here). Counter values are a
 * known function of time, so the test computes every minute's expected good and total
 * from the acknowledged samples by the rule of docs/unit.md ("each increment between two
 * samples of one raw series is attributed to the minute of the later sample"), and checks
 * it against the unit's `GET /api/v1/slos/{service}/{slo}/series?step=1m` after every
 * restart. A batch in flight when the unit died is either wholly counted or not at all.
 */

import assert from 'node:assert/strict';
import { open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeWriteRequest, snappyCompress } from '../../src/remote-write/index.ts';
import { DEFAULT_SEED } from '../support/fuzz.ts';
import {
  type UnitFixture,
  type UnitProcess,
  type UnitStartFailure,
  unitFixture,
} from '../support/unit-process.ts';

const MINUTE_MS = 60_000;
/** Concurrent writers (remote-write shards); each owns one service and its series. */
const WRITERS = 4;
/** 4 × 50 = 200 raw series: every fifth one a 5xx (bad) counter, the others 200s. */
const SERIES_PER_WRITER = 50;
/** Samples of each series in one batch, `STEP_MS` apart: 400 samples, 4 s of data per batch. */
const SAMPLES_PER_BATCH = 8;
const STEP_MS = 500;
/** SIGKILLs of the heavy-ingest test, each after a seeded random stretch of ingest. */
const KILLS = 50;
const INGEST_MS = { min: 20, max: 350 };
/** Graceful stops (SIGTERM) under the same ingest. */
const SIGTERMS = 5;
/**
 * Samples start this far in the past: inside the unit's 3-hour late-sample horizon, and
 * leaving room for 170 minutes of data (2549 batches per writer) without running into
 * the future.
 */
const HISTORY_MINUTES = 170;
const RW_HEADERS = {
  'content-type': 'application/x-protobuf',
  'content-encoding': 'snappy',
  'x-prometheus-remote-write-version': '0.1.0',
};

// ---- the workload ---------------------------------------------------------------------

/** One service per writer, each with a ratio SLI over that writer's series only. */
function catalogYaml(writers: number): string {
  const services = Array.from(
    { length: writers },
    (_, w) => `---
apiVersion: sextant.dev/v1
kind: Service
metadata: {name: w${w}}
spec:
  owner: core
  tier: critical
  slis:
    - name: availability
      kind: ratio
      bad: {selector: 'http_requests_total{writer="w${w}",code=~"5.."}'}
      total: {selector: 'http_requests_total{writer="w${w}"}'}
  slos:
    - {name: availability, sli: availability, objectivePercent: 99.9, window: 28d}
`,
  );
  return `apiVersion: sextant.dev/v1
kind: Team
metadata: {name: core}
spec: {onCall: {schedule: core-primary}}
${services.join('')}`;
}

/** Good and total of one minute. */
interface Counts {
  good: number;
  total: number;
}

/** One raw series of a writer: a counter growing at `perSecond` from the workload's start. */
interface RawSeries {
  labels: { name: string; value: string }[];
  good: boolean;
  perSecond: number;
  /** Per-series offset of its sample times, so series do not sample at the same instant. */
  offsetMs: number;
}

/** A remote-write request and what it adds, per minute, once it is counted. */
interface Batch {
  index: number;
  body: Uint8Array;
  samples: number;
  increments: Map<number, Counts>;
  /** Seen counted while still unacknowledged: its resend must then be a 204. */
  countedBeforeAck: boolean;
  sends: number;
}

/** Mulberry32: a small seeded generator, so a failing run can be replayed. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** What the writers saw, for assertions and the report. */
interface TrafficStats {
  acknowledgedBatches: number;
  acknowledgedSamples: number;
  sends: number;
  resends: number;
  connectionErrors: number;
  statuses: Map<number, number>;
  /** 5xx answers without a Retry-After header. */
  retryAfterMissing: number;
  /** Everything that breaks the promise, described; must stay empty. */
  problems: string[];
}

/** A writer: one remote-write shard owning one service's series. */
class Writer {
  readonly name: string;
  readonly service: string;
  readonly series: RawSeries[];
  readonly #startMs: number;
  readonly #maxBatches: number;
  /** Expected counts by minute of everything acknowledged. */
  readonly acknowledged = new Map<number, Counts>();
  nextIndex = 0;
  pending: Batch | undefined;

  constructor(index: number, startMs: number, maxBatches: number) {
    this.name = `w${index}`;
    this.service = `w${index}`;
    this.#startMs = startMs;
    this.#maxBatches = maxBatches;
    this.series = Array.from({ length: SERIES_PER_WRITER }, (_, k) => {
      const good = k % 5 !== 0;
      return {
        labels: [
          { name: '__name__', value: 'http_requests_total' },
          { name: 'code', value: good ? '200' : '500' },
          { name: 'instance', value: `i${k}` },
          { name: 'writer', value: this.name },
        ],
        good,
        perSecond: good ? 20 + k : 1 + (k % 3),
        offsetMs: k * 7, // below STEP_MS
      };
    });
  }

  get hasWork(): boolean {
    return this.pending !== undefined || this.nextIndex < this.#maxBatches;
  }

  /** The time of sample `n` (0: the baseline) of a series. */
  sampleMs(series: RawSeries, n: number): number {
    return this.#startMs + n * STEP_MS + series.offsetMs;
  }

  /** The counter's value at `atMs`: whole requests since the workload's start. */
  value(series: RawSeries, atMs: number): number {
    return Math.floor((series.perSecond * (atMs - this.#startMs)) / 1000);
  }

  /** The unacknowledged batch, or the next one. */
  current(): Batch {
    if (this.pending === undefined) {
      this.pending = this.#batch(this.nextIndex);
      this.nextIndex += 1;
    }
    return this.pending;
  }

  #batch(index: number): Batch {
    const increments = new Map<number, Counts>();
    const timeseries = this.series.map((series) => {
      const samples = [];
      for (let j = 0; j < SAMPLES_PER_BATCH; j++) {
        const n = index * SAMPLES_PER_BATCH + j;
        const atMs = this.sampleMs(series, n);
        const value = this.value(series, atMs);
        samples.push({ timestampMs: atMs, value });
        if (n === 0) continue; // the baseline adds nothing
        const increase = value - this.value(series, this.sampleMs(series, n - 1));
        addTo(increments, Math.floor(atMs / MINUTE_MS), series.good ? increase : 0, increase);
      }
      return { labels: series.labels, samples };
    });
    return {
      index,
      body: snappyCompress(encodeWriteRequest({ timeseries })),
      samples: SERIES_PER_WRITER * SAMPLES_PER_BATCH,
      increments,
      countedBeforeAck: false,
      sends: 0,
    };
  }

  acknowledge(batch: Batch): void {
    for (const [minute, counts] of batch.increments)
      addTo(this.acknowledged, minute, counts.good, counts.total);
    this.pending = undefined;
  }

  /** Expected per-minute counts over `minutes`, with the pending batch when `withPending`. */
  expected(minutes: readonly number[], withPending: boolean): Counts[] {
    return minutes.map((minute) => {
      const acked = this.acknowledged.get(minute) ?? { good: 0, total: 0 };
      const extra = withPending ? this.pending?.increments.get(minute) : undefined;
      return { good: acked.good + (extra?.good ?? 0), total: acked.total + (extra?.total ?? 0) };
    });
  }

  /**
   * Good and total over all time in closed form, from the first and the last acknowledged
   * sample of every series (a counter's increase), independent of the per-minute model.
   */
  closedFormTotals(): Counts {
    const acknowledgedBatches = this.nextIndex - (this.pending ? 1 : 0);
    const last = acknowledgedBatches * SAMPLES_PER_BATCH - 1;
    const totals = { good: 0, total: 0 };
    if (last < 1) return totals;
    for (const series of this.series) {
      const increase =
        this.value(series, this.sampleMs(series, last)) - this.value(series, this.sampleMs(series, 0));
      totals.total += increase;
      if (series.good) totals.good += increase;
    }
    return totals;
  }
}

function addTo(map: Map<number, Counts>, minute: number, good: number, total: number): void {
  const counts = map.get(minute);
  if (counts === undefined) map.set(minute, { good, total });
  else {
    counts.good += good;
    counts.total += total;
  }
}

/** How a verification found a writer's in-flight batch. */
type PendingOutcome = 'none' | 'counted' | 'not-counted';

/** The writers, their statistics, and the check of the unit's counts against them. */
class Traffic {
  readonly writers: Writer[];
  readonly stats: TrafficStats = {
    acknowledgedBatches: 0,
    acknowledgedSamples: 0,
    sends: 0,
    resends: 0,
    connectionErrors: 0,
    statuses: new Map(),
    retryAfterMissing: 0,
    problems: [],
  };
  /** Whole minutes that hold samples, first to last. */
  readonly minutes: number[];
  readonly #fromIso: string;
  readonly #toIso: string;
  readonly #rounds = new Set<{ stop(): Promise<void> }>();

  constructor(writers: number, startMs: number) {
    const maxBatches = Math.floor((HISTORY_MINUTES * MINUTE_MS) / (SAMPLES_PER_BATCH * STEP_MS)) - 1;
    this.writers = Array.from({ length: writers }, (_, w) => new Writer(w, startMs, maxBatches));
    const first = Math.floor(startMs / MINUTE_MS);
    this.minutes = Array.from({ length: HISTORY_MINUTES + 1 }, (_, i) => first + i);
    this.#fromIso = new Date(first * MINUTE_MS).toISOString();
    this.#toIso = new Date((first + this.minutes.length) * MINUTE_MS).toISOString();
  }

  /**
   * Starts every writer against `url`. They run until `stop()`, or until each has had
   * `batches` batches acknowledged; `done` resolves when all have returned.
   */
  run(url: string, options: { batches?: number } = {}): { stop(): Promise<void>; done: Promise<void> } {
    let stopped = false;
    const done = Promise.all(
      this.writers.map((writer) => this.#runWriter(writer, url, options.batches, () => stopped)),
    ).then(() => undefined);
    const round = {
      done,
      stop: async () => {
        stopped = true;
        await done;
      },
    };
    this.#rounds.add(round);
    void done.then(() => this.#rounds.delete(round));
    return round;
  }

  /** Stops every writer (a failed test must not leave them resending forever). */
  async close(): Promise<void> {
    await Promise.all([...this.#rounds].map((round) => round.stop()));
  }

  async #runWriter(
    writer: Writer,
    url: string,
    batches: number | undefined,
    stopped: () => boolean,
  ): Promise<void> {
    let acked = 0;
    while (!stopped() && writer.hasWork && (batches === undefined || acked < batches)) {
      const batch = writer.current();
      batch.sends += 1;
      this.stats.sends += 1;
      if (batch.sends > 1) this.stats.resends += 1;
      let response: Response;
      try {
        response = await fetch(`${url}/api/v1/write`, {
          method: 'POST',
          body: batch.body,
          headers: RW_HEADERS,
          signal: AbortSignal.timeout(20_000),
        });
        await response.arrayBuffer();
      } catch {
        // Connection refused or reset: the unit died. Resend the same batch (Prometheus does).
        this.stats.connectionErrors += 1;
        await sleep(5);
        continue;
      }
      const status = response.status;
      this.stats.statuses.set(status, (this.stats.statuses.get(status) ?? 0) + 1);
      if (status >= 200 && status < 300) {
        if (batch.countedBeforeAck && status !== 204) {
          this.stats.problems.push(
            `${writer.name} batch ${batch.index} was counted before its ack; its resend got ${status}, not 204`,
          );
        }
        writer.acknowledge(batch);
        this.stats.acknowledgedBatches += 1;
        this.stats.acknowledgedSamples += batch.samples;
        acked += 1;
      } else if (status >= 400 && status < 500) {
        // A sender drops a batch answered 4xx: that is data lost, which must never happen here.
        this.stats.problems.push(
          `${writer.name} batch ${batch.index} (send ${batch.sends}) got ${status}: ${await response.text()}`,
        );
        writer.pending = undefined;
      } else {
        if (response.headers.get('retry-after') === null) this.stats.retryAfterMissing += 1;
        // Retry-After is 30 s; honouring it would only slow the test down.
        await sleep(20);
      }
    }
  }

  /**
   * Reads every writer's per-minute counts from the unit and checks them against the
   * acknowledged samples; an unacknowledged batch must be wholly counted or not at all.
   */
  async verify(url: string): Promise<PendingOutcome[]> {
    const outcomes: PendingOutcome[] = [];
    for (const writer of this.writers) {
      const actual = await this.counts(url, writer);
      const acked = writer.expected(this.minutes, false);
      if (sameCounts(actual, acked)) {
        outcomes.push(writer.pending ? 'not-counted' : 'none');
        continue;
      }
      if (writer.pending && sameCounts(actual, writer.expected(this.minutes, true))) {
        writer.pending.countedBeforeAck = true;
        outcomes.push('counted');
        continue;
      }
      // Neither: show the difference against what was acknowledged.
      assert.deepEqual(
        actual,
        acked,
        `${writer.name}: the unit's counts are neither the acknowledged batches nor those plus the batch in flight (${writer.pending?.index ?? 'none'})`,
      );
    }
    return outcomes;
  }

  /** The unit's counts of one writer's SLO, one per minute of `minutes`. */
  async counts(url: string, writer: Writer): Promise<Counts[]> {
    const response = await fetch(
      `${url}/api/v1/slos/${writer.service}/availability/series?step=1m&from=${this.#fromIso}&to=${this.#toIso}`,
    );
    assert.equal(response.status, 200, await response.clone().text());
    const body = (await response.json()) as { points: { time: string; good: number; total: number }[] };
    assert.equal(body.points.length, this.minutes.length);
    return body.points.map((point) => ({ good: point.good, total: point.total }));
  }
}

function sameCounts(a: readonly Counts[], b: readonly Counts[]): boolean {
  return (
    a.length === b.length &&
    a.every((counts, i) => counts.good === b[i]!.good && counts.total === b[i]!.total)
  );
}

/**
 * Writers whose samples start `HISTORY_MINUTES` ago (whole minutes); they stop when the
 * test ends, however it ends.
 */
function trafficFor(t: TestContext): Traffic {
  const traffic = new Traffic(WRITERS, (Math.floor(Date.now() / MINUTE_MS) - HISTORY_MINUTES) * MINUTE_MS);
  t.after(() => traffic.close());
  return traffic;
}

async function fixtureFor(
  t: TestContext,
  options: { tmpfsBytes?: number } = {},
): Promise<UnitFixture | string> {
  return unitFixture(t, { catalog: { 'catalog.yaml': catalogYaml(WRITERS) }, ...options });
}

function assertFixture(fixture: UnitFixture | string): asserts fixture is UnitFixture {
  if (typeof fixture === 'string') assert.fail(fixture);
}

async function startUnit(fixture: UnitFixture): Promise<UnitProcess> {
  const started = await fixture.start();
  if (!started.ok) {
    assert.fail(
      `the unit did not start (exit ${started.failure.exit.code ?? started.failure.exit.signal}):\n${started.failure.stderr}`,
    );
  }
  return started.value;
}

/** After a final verification, nothing may be in flight and the totals match the closed form. */
async function assertAllCounted(traffic: Traffic, url: string): Promise<void> {
  for (const writer of traffic.writers)
    assert.equal(writer.pending, undefined, `${writer.name} has a batch in flight`);
  assert.deepEqual(
    await traffic.verify(url),
    traffic.writers.map(() => 'none'),
  );
  for (const writer of traffic.writers) {
    const counted = (await traffic.counts(url, writer)).reduce(
      (sum, counts) => ({ good: sum.good + counts.good, total: sum.total + counts.total }),
      { good: 0, total: 0 },
    );
    assert.deepEqual(counted, writer.closedFormTotals(), `${writer.name}: totals against the closed form`);
  }
  assert.deepEqual(traffic.stats.problems, []);
}

function describeStarts(startsMs: readonly number[]): string {
  const sorted = [...startsMs].sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
  return `start (spawn to listening) ms: min ${at(0)}, median ${at(0.5)}, p90 ${at(0.9)}, max ${at(1)} over ${sorted.length} starts`;
}

// ---- the tests ------------------------------------------------------------------------

test('SIGKILL at random moments of heavy ingest loses no acknowledged sample and counts none twice', async (t) => {
  const began = performance.now();
  const fixture = await fixtureFor(t);
  assertFixture(fixture);
  const traffic = trafficFor(t);
  const random = seededRandom(DEFAULT_SEED);
  const starts: number[] = [];
  const inFlight = { counted: 0, notCounted: 0 };
  const tally = (outcomes: readonly PendingOutcome[]) => {
    for (const outcome of outcomes) {
      if (outcome === 'counted') inFlight.counted += 1;
      if (outcome === 'not-counted') inFlight.notCounted += 1;
    }
  };
  for (let kill = 0; kill < KILLS; kill++) {
    const unit = await startUnit(fixture);
    starts.push(unit.startMs);
    tally(await traffic.verify(unit.url));
    const round = traffic.run(unit.url);
    await sleep(INGEST_MS.min + random() * (INGEST_MS.max - INGEST_MS.min));
    const exit = await unit.kill();
    assert.equal(exit.signal, 'SIGKILL');
    await round.stop();
  }
  const unit = await startUnit(fixture);
  starts.push(unit.startMs);
  tally(await traffic.verify(unit.url));
  await traffic.run(unit.url, { batches: 3 }).done;
  await assertAllCounted(traffic, unit.url);
  assert.equal(traffic.stats.retryAfterMissing, 0);
  assert.deepEqual([...traffic.stats.statuses.keys()], [204], 'every answer was a 204');
  assert.ok(inFlight.counted + inFlight.notCounted > 0, 'some kills hit a request in flight');
  assert.deepEqual(await unit.stop(), { code: 0, signal: null });
  const { stats } = traffic;
  t.diagnostic(
    `${KILLS} SIGKILLs; ${stats.acknowledgedBatches} batches (${stats.acknowledgedSamples} samples) acknowledged; ` +
      `${stats.sends} sends, ${stats.resends} resends, ${stats.connectionErrors} connection errors; ` +
      `batches in flight at a kill: ${inFlight.counted} counted, ${inFlight.notCounted} not; ` +
      `writers out of data: ${traffic.writers.filter((writer) => !writer.hasWork).length}; ` +
      `${Math.round(performance.now() - began)} ms`,
  );
  t.diagnostic(describeStarts(starts));
});

test('SIGTERM during ingest stops the unit gracefully (exit 0) with every acknowledged sample kept', async (t) => {
  const fixture = await fixtureFor(t);
  assertFixture(fixture);
  const traffic = trafficFor(t);
  const random = seededRandom(DEFAULT_SEED + 1);
  for (let stop = 0; stop < SIGTERMS; stop++) {
    const unit = await startUnit(fixture);
    await traffic.verify(unit.url);
    const round = traffic.run(unit.url);
    const sender = new KeepAliveSender(unit.url);
    t.after(() => sender.close());
    const release = Promise.withResolvers<void>();
    const held = sender.post(release.promise);
    await sleep(100 + random() * 250);
    const stopped = unit.stop();
    await sleep(300);
    release.resolve();
    assert.equal(await held, 204, 'the request in flight at SIGTERM is answered');
    // Keep that connection busy, as Prometheus does, until the unit closes it.
    while ((await sender.post()) === 204);
    const exit = await stopped;
    await round.stop();
    assert.deepEqual(exit, { code: 0, signal: null }, unit.stderr());
    assert.match(unit.stderr(), /"msg":"unit stopped"/);
  }
  assert.ok(traffic.stats.acknowledgedBatches > 0);
  const unit = await startUnit(fixture);
  await traffic.verify(unit.url);
  await traffic.run(unit.url, { batches: 1 }).done;
  await assertAllCounted(traffic, unit.url);
  assert.deepEqual(await unit.stop(), { code: 0, signal: null });
});

/**
 * A remote-write sender on one keep-alive connection (Prometheus keeps its connections).
 * Its series match no SLI, so it never changes the counts the other writers check.
 */
class KeepAliveSender {
  readonly #url: string;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 1 });
  readonly #body = snappyCompress(
    encodeWriteRequest({
      timeseries: [
        {
          labels: [
            { name: '__name__', value: 'http_requests_total' },
            { name: 'writer', value: 'none' },
          ],
          samples: [{ timestampMs: Date.now() - MINUTE_MS, value: 1 }],
        },
      ],
    }),
  );

  constructor(url: string) {
    this.#url = url;
  }

  /**
   * Posts one batch; with `hold`, only half the body goes out until `hold` resolves, so
   * the request is in flight meanwhile. Resolves with the status, or undefined when the
   * connection failed.
   */
  post(hold?: Promise<void>): Promise<number | undefined> {
    return new Promise((resolve) => {
      const request = httpRequest(
        `${this.#url}/api/v1/write`,
        {
          method: 'POST',
          agent: this.#agent,
          headers: { ...RW_HEADERS, 'content-length': String(this.#body.length) },
        },
        (response) => {
          response.resume();
          response.once('end', () => resolve(response.statusCode));
          response.once('error', () => resolve(undefined));
        },
      );
      request.once('error', () => resolve(undefined));
      if (hold === undefined) {
        request.end(this.#body);
        return;
      }
      const half = Math.floor(this.#body.length / 2);
      request.write(this.#body.subarray(0, half));
      void hold.then(() => request.end(this.#body.subarray(half)));
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

test('a damaged database file stops the unit from starting, named in the message and left untouched', async (t) => {
  const fixture = await fixtureFor(t);
  assertFixture(fixture);
  const traffic = trafficFor(t);
  const unit = await startUnit(fixture);
  await traffic.run(unit.url, { batches: 5 }).done;
  assert.deepEqual(await unit.stop(), { code: 0, signal: null });
  const original = await readFile(fixture.databasePath);
  const damages: [string, Uint8Array][] = [
    // Half the pages are gone (the header still counts them all).
    ['truncated', original.subarray(0, Math.floor(original.length / 2))],
    // The 16-byte magic "SQLite format 3\0" overwritten.
    ['overwritten header', Buffer.concat([Buffer.from('not a database!\0'), original.subarray(16)])],
  ];
  for (const [damage, bytes] of damages) {
    await writeFile(fixture.databasePath, bytes);
    const files: string[] = await readdir(fixture.dataDir);
    const started = await fixture.start();
    if (started.ok) await started.value.kill();
    assert.ok(!started.ok, `the unit started on a ${damage} database`);
    const { exit, stderr }: UnitStartFailure = started.failure;
    assert.deepEqual(exit, { code: 1, signal: null }, `${damage}: ${stderr}`);
    assert.ok(stderr.includes(fixture.databasePath), `${damage}: the message names the file: ${stderr}`);
    assert.match(stderr, /never deleted/, `${damage}: ${stderr}`);
    assert.ok(
      Buffer.from(bytes).equals(await readFile(fixture.databasePath)),
      `${damage}: the file is unchanged`,
    );
    assert.deepEqual(await readdir(fixture.dataDir), files, `${damage}: no file was added or removed`);
  }
  // The undamaged file brings every count back.
  await writeFile(fixture.databasePath, original);
  const restored = await startUnit(fixture);
  await assertAllCounted(traffic, restored.url);
});

test('a full disk answers 503 with Retry-After, keeps serving reads and loses nothing acknowledged', async (t) => {
  const fixture = await fixtureFor(t, { tmpfsBytes: 32 * 1024 * 1024 });
  if (typeof fixture === 'string') {
    if (process.env['CI'] === 'true') assert.fail(`${fixture}. CI must allow mounting a tmpfs.`);
    t.skip(fixture);
    return;
  }
  const traffic = trafficFor(t);
  const unit = await startUnit(fixture);
  await traffic.run(unit.url, { batches: 10 }).done;
  // Fill what is left of the file system, so the next growth of the WAL fails.
  const filler = join(fixture.dataDir, 'filler');
  await fillDisk(filler);
  const full = traffic.run(unit.url);
  const deadline = Date.now() + 20_000;
  while ((traffic.stats.statuses.get(503) ?? 0) < WRITERS * 3 && Date.now() < deadline) await sleep(20);
  await full.stop();
  assert.ok(
    (traffic.stats.statuses.get(503) ?? 0) > 0,
    'writes were refused with 503 while the disk was full',
  );
  assert.equal(traffic.stats.retryAfterMissing, 0, 'every 503 carries Retry-After');
  // Reads keep working, and they show everything acknowledged (a refused batch not at all).
  assert.equal((await fetch(`${unit.url}/healthz`)).status, 200);
  assert.equal((await fetch(`${unit.url}/api/v1/slos`)).status, 200);
  const outcomes = await traffic.verify(unit.url);
  assert.ok(!outcomes.includes('counted'), 'a batch answered 503 was not counted');
  await rm(filler);
  await traffic.run(unit.url, { batches: 3 }).done;
  await assertAllCounted(traffic, unit.url);
  // And it is all on disk.
  assert.deepEqual(await unit.stop(), { code: 0, signal: null });
  const again = await startUnit(fixture);
  await assertAllCounted(traffic, again.url);
  t.diagnostic(
    `disk full: ${traffic.stats.statuses.get(503)} answers 503, ${traffic.stats.acknowledgedBatches} batches acknowledged`,
  );
});

/** Writes zeros to `path` until the file system has no space left. */
async function fillDisk(path: string): Promise<void> {
  const handle = await open(path, 'w');
  try {
    for (const size of [1024 * 1024, 64 * 1024, 4096, 512, 1]) {
      const chunk = new Uint8Array(size);
      for (;;) {
        try {
          await handle.write(chunk);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw error;
        }
      }
    }
  } finally {
    await handle.close().catch(() => undefined);
  }
}
