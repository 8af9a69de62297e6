import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildCatalog, compileSelector, type SeriesSelector, type Source } from '../catalog/index.ts';
import { formatLe, histogramBounds, planSeries, type SeriesPlan, type SliFeed } from './index.ts';
import { loadFleet } from './test-support.ts';

function catalogOf(slis: string) {
  const build = buildCatalog([
    {
      path: 'c.yaml',
      text: `apiVersion: sextant.dev/v1
kind: Team
metadata: {name: t}
spec: {onCall: {email: t@example.com}}
---
apiVersion: sextant.dev/v1
kind: Service
metadata: {name: s}
spec:
  owner: t
  tier: high
  slis:
${slis}`,
    },
  ]);
  assert.ok(build.valid, JSON.stringify(build.issues));
  return build.catalog;
}

const matchesAs = (selector: SeriesSelector, name: string, labels: Record<string, string>) =>
  compileSelector(selector)({ ...labels, __name__: name });

function selectorOf(source: Source | undefined): SeriesSelector | undefined {
  return source?.kind === 'selector' ? source.selector : undefined;
}

/** What each series of a ratio feed must match, by its layout and what it counts. */
function checkRatioFeed(feed: SliFeed): void {
  const sli = feed.sli;
  assert.equal(sli.kind, 'ratio');
  if (sli.kind !== 'ratio') return;
  const total = selectorOf(sli.total)!;
  const good = selectorOf(sli.good);
  const bad = selectorOf(sli.bad);
  const counts = new Set(feed.series.map((s) => s.counts));
  for (const series of feed.series) {
    const is = (selector: SeriesSelector | undefined) =>
      selector !== undefined && matchesAs(selector, series.metric, series.labels);
    const where = `${sli.id} ${series.metric}${JSON.stringify(series.labels)}`;
    if (feed.layout === 'shared') {
      assert.ok(is(total), `${where} matches total`);
      if (series.counts === 'good') assert.ok(good ? is(good) : !is(bad), `${where} is good`);
      else assert.ok(bad ? is(bad) : !is(good), `${where} is bad`);
    } else if (series.counts === 'all') {
      assert.ok(is(total) && !is(good) && !is(bad), `${where} counts every request, as total only`);
    } else {
      assert.ok(!is(total) && is(good ?? bad), `${where} counts outcomes only`);
    }
  }
  assert.ok(
    feed.layout === 'shared' ? counts.has('good') && counts.has('bad') : counts.has('all'),
    `${sli.id} has series for both outcomes`,
  );
}

const catalog = await loadFleet();

describe('the example fleet', () => {
  const plan: SeriesPlan = planSeries(catalog);
  const feed = (id: string) => plan.feeds.find((f) => f.sli.id === id)!;

  test('every selector-based SLI is fed; PromQL and events SLIs are listed as skipped', () => {
    const selectorBased = [...catalog.services.values()]
      .flatMap((service) => service.slis)
      .filter((sli) =>
        sli.kind === 'ratio'
          ? sli.total.kind === 'selector'
          : sli.kind === 'latency'
            ? sli.histogram !== undefined
            : sli.kind === 'threshold'
              ? sli.gauge.kind === 'selector'
              : false,
      )
      .map((sli) => sli.id);
    assert.deepEqual(
      plan.feeds.map((f) => f.sli.id),
      selectorBased,
    );
    assert.deepEqual(plan.issues.map((issue) => `${issue.code} ${issue.sli}`).sort(), [
      'overlap background-jobs/job-execution',
      'skipped.events object-storage/canary-roundtrip',
      'skipped.promql cache/hit-ratio',
      'skipped.promql database/query-latency',
      'skipped.promql git/receive-pack',
    ]);
  });

  test('ratio SLIs get good and bad series that match their selectors as intended', () => {
    const ratios = plan.feeds.filter((f) => f.sli.kind === 'ratio');
    assert.ok(ratios.length > 0);
    for (const f of ratios) checkRatioFeed(f);
  });

  test('bad and total on different metrics are fed by a total counter and a bad counter', () => {
    const commands = feed('cache/commands');
    assert.equal(commands.layout, 'split');
    assert.deepEqual(
      commands.series.map((s) => [s.metric, s.counts]),
      [
        ['redis_commands_total', 'all'],
        ['redis_commands_failed_calls_total', 'bad'],
      ],
    );
  });

  test('the ingest plan routes each series to its own SLI in the intended roles', () => {
    const expected: Record<string, Record<string, string[]>> = {
      shared: { good: ['total'], bad: ['bad', 'total'] },
      split: { all: ['total'], bad: ['bad'] },
      histogram: { observations: [] },
      gauge: { value: ['gauge'] },
    };
    for (const raw of plan.raw) {
      const f = feed(raw.source.sli);
      const roles = raw.routes
        .filter((r) => r.sli.id === raw.source.sli)
        .map((r) => r.role)
        .sort();
      if (f.layout === 'histogram') continue;
      const goodSelector = f.sli.kind === 'ratio' && f.sli.good !== undefined;
      let want = expected[f.layout]![raw.source.counts]!;
      if (goodSelector) want = raw.source.counts === 'good' ? ['good', 'total'] : ['total'];
      assert.deepEqual(roles, want, `${raw.source.sli} ${JSON.stringify(raw.labels)}`);
    }
  });

  test('latency SLIs get a histogram whose satisfied, tolerated and +Inf buckets feed the apdex', () => {
    const latencies = plan.feeds.filter((f) => f.sli.kind === 'latency');
    assert.ok(latencies.length > 0);
    for (const f of latencies) {
      const sli = f.sli;
      if (sli.kind !== 'latency') continue;
      const roles = plan.raw
        .filter((raw) => raw.source.sli === sli.id)
        .flatMap((raw) =>
          raw.routes.filter((r) => r.sli.id === sli.id).map((r) => `${r.role}@${raw.labels['le']}`),
        );
      assert.deepEqual(roles.sort(), [
        `satisfied@${formatLe(sli.satisfiedSeconds)}`,
        `tolerated@${formatLe(sli.toleratedSeconds!)}`,
        'total@+Inf',
      ]);
      const series = f.series[0]!;
      assert.ok(matchesAs(sli.histogram!.selector, series.metric, series.labels));
    }
  });

  test('threshold SLIs get a gauge matching their selector', () => {
    const gauges = plan.feeds.filter((f) => f.sli.kind === 'threshold');
    assert.deepEqual(
      gauges.map((f) => `${f.series[0]?.metric}${JSON.stringify(f.series[0]?.labels)}`),
      [
        'pg_up{"job":"postgres","role":"primary"}',
        'pg_replication_lag_seconds{"job":"postgres","role":"replica"}',
        'elasticsearch_cluster_health_status{"color":"red","job":"elasticsearch"}',
      ],
    );
  });

  test('significant labels get three values each, shared by the good and the bad series', () => {
    const routes = feed('web/requests').parts.map((part) => part['route_id']);
    assert.equal(new Set(routes).size, 3);
    const services = feed('git/rpc-availability').series.filter((s) => s.counts === 'bad');
    assert.equal(new Set(services.map((s) => s.labels['grpc_service'])).size, 3);
    for (const f of plan.feeds) {
      for (const series of f.series) {
        for (const label of f.sli.significantLabels) {
          assert.equal(
            series.labels[label],
            f.parts[series.part]?.[label],
            `${f.sli.id} part ${series.part}`,
          );
        }
      }
    }
  });

  test("web's routes avoid the git-http selector, so git-http counts only its own series", () => {
    const gitHttp = plan.raw.filter((raw) => raw.routes.some((r) => r.sli.id === 'web/git-http'));
    assert.ok(gitHttp.length > 0);
    assert.ok(gitHttp.every((raw) => raw.source.sli === 'web/git-http'));
  });

  test('search indexing jobs are Sidekiq jobs too: background-jobs counts them, under an empty urgency', () => {
    const shared = plan.raw.filter(
      (raw) =>
        raw.source.sli === 'search/indexing' &&
        raw.routes.some((r) => r.sli.id === 'background-jobs/job-execution'),
    );
    assert.equal(shared.length, 2);
    for (const raw of shared) {
      const route = raw.routes.find((r) => r.sli.id === 'background-jobs/job-execution');
      assert.deepEqual(route?.labels, { urgency: '' });
    }
  });

  test('no two generated series share a name and label set', () => {
    const keys = plan.raw.map((raw) => JSON.stringify(raw.labels));
    assert.equal(new Set(keys).size, keys.length);
  });
});

describe('histogram layout', () => {
  test('the thresholds join the default buckets, ascending, +Inf last', () => {
    assert.deepEqual(histogramBounds(0.5, 2.5), [
      0.005,
      0.01,
      0.025,
      0.05,
      0.1,
      0.25,
      0.5,
      1,
      2.5,
      5,
      10,
      Infinity,
    ]);
    assert.deepEqual(histogramBounds(60, 300).slice(-3), [60, 300, Infinity]);
  });

  test('le is written as Prometheus clients write it', () => {
    assert.deepEqual([0.5, 1, 2.5, 10, Infinity].map(formatLe), ['0.5', '1', '2.5', '10', '+Inf']);
  });
});

describe('catalogs the simulator cannot fully feed', () => {
  test('an SLI whose bad selector can match nothing is reported, and the others are still fed', () => {
    const catalog = catalogOf(`    - name: broken
      kind: ratio
      bad: {selector: 'x_total{code="500",code="503"}'}
      total: {selector: 'x_total'}
    - name: fine
      kind: ratio
      bad: {selector: 'y_total{code=~"5.."}'}
      total: {selector: 'y_total'}
`);
    const plan = planSeries(catalog);
    assert.deepEqual(
      plan.issues.map((issue) => [issue.code, issue.sli]),
      [['unsatisfiable', 's/broken']],
    );
    assert.deepEqual(
      plan.feeds.map((f) => f.sli.id),
      ['s/fine'],
    );
  });

  test('two SLIs with the same selectors get distinct series, and each reports the overlap', () => {
    const catalog = catalogOf(`    - name: a
      kind: ratio
      bad: {selector: 'x_total{code=~"5.."}'}
      total: {selector: 'x_total'}
    - name: b
      kind: ratio
      bad: {selector: 'x_total{code=~"5.."}'}
      total: {selector: 'x_total'}
`);
    const plan = planSeries(catalog);
    const keys = plan.raw.map((raw) => JSON.stringify(raw.labels));
    assert.equal(new Set(keys).size, 4);
    assert.deepEqual(plan.issues.map((issue) => [issue.code, issue.sli]).sort(), [
      ['overlap', 's/a'],
      ['overlap', 's/b'],
    ]);
  });
});
