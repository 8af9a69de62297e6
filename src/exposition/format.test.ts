import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatExposition, type MetricFamily, parseExposition } from './index.ts';

const SCRAPE_MS = 1_700_000_000_000;

const FAMILIES: MetricFamily[] = [
  {
    name: 'http_requests',
    type: 'counter',
    help: 'Requests "served", by code.\nSecond line \\ backslash.',
    unit: '',
    samples: [
      {
        name: 'http_requests_total',
        labels: { code: '200' },
        value: 1027,
        exemplar: { labels: { trace_id: 'abc' }, value: 1, timestampMs: 1520879607789 },
      },
      { name: 'http_requests_created', labels: { code: '200' }, value: 1520430000.123 },
    ],
  },
  {
    name: 'queue_seconds',
    type: 'gauge',
    help: '',
    unit: 'seconds',
    samples: [
      { name: 'queue_seconds', labels: { path: 'C:\\DIR', msg: 'say "hi"\n' }, value: -0.5, timestampMs: 5 },
    ],
  },
  {
    name: 'build',
    type: 'info',
    help: '',
    unit: '',
    samples: [{ name: 'build_info', labels: { version: '1.2.3' }, value: 1 }],
  },
];

describe('formatExposition', () => {
  test('OpenMetrics: TYPE, UNIT, HELP, samples with seconds timestamps and exemplars, then # EOF', () => {
    assert.equal(
      formatExposition(FAMILIES, 'openmetrics'),
      `# TYPE http_requests counter
# HELP http_requests Requests \\"served\\", by code.\\nSecond line \\\\ backslash.
http_requests_total{code="200"} 1027 # {trace_id="abc"} 1 1520879607.789
http_requests_created{code="200"} 1520430000.123
# TYPE queue_seconds gauge
# UNIT queue_seconds seconds
queue_seconds{path="C:\\\\DIR",msg="say \\"hi\\"\\n"} -0.5 0.005
# TYPE build info
build_info{version="1.2.3"} 1
# EOF
`,
    );
  });

  test('Prometheus: counters named _total, _created as a gauge, info as a gauge, no units or exemplars', () => {
    assert.equal(
      formatExposition(FAMILIES, 'prometheus'),
      `# HELP http_requests_total Requests "served", by code.\\nSecond line \\\\ backslash.
# TYPE http_requests_total counter
http_requests_total{code="200"} 1027
# TYPE http_requests_created gauge
http_requests_created{code="200"} 1520430000.123
# TYPE queue_seconds gauge
queue_seconds{path="C:\\\\DIR",msg="say \\"hi\\"\\n"} -0.5 5
# TYPE build_info gauge
build_info{version="1.2.3"} 1
`,
    );
  });

  test('OpenMetrics output reads back to the same families', () => {
    const result = parseExposition(formatExposition(FAMILIES, 'openmetrics'), {
      format: 'openmetrics',
      scrapeTimeMs: SCRAPE_MS,
    });
    assert.deepEqual(result.issues, []);
    assert.deepEqual(result.families, FAMILIES);
  });

  test('an empty family list is just # EOF in OpenMetrics and nothing in Prometheus text', () => {
    assert.equal(formatExposition([], 'openmetrics'), '# EOF\n');
    assert.equal(formatExposition([], 'prometheus'), '');
  });

  test('names outside the classic charset are quoted in Prometheus text and refused in OpenMetrics', () => {
    const family: MetricFamily = {
      name: 'my.metric',
      type: 'gauge',
      help: '',
      unit: '',
      samples: [{ name: 'my.metric', labels: { 'error.message': 'x', code: '1' }, value: 1 }],
    };
    const text = formatExposition([family], 'prometheus');
    assert.equal(text, '# TYPE "my.metric" gauge\n{"my.metric","error.message"="x",code="1"} 1\n');
    assert.deepEqual(parseExposition(text, { format: 'prometheus', scrapeTimeMs: SCRAPE_MS }).families, [
      family,
    ]);
    assert.throws(() => formatExposition([family], 'openmetrics'), RangeError);
  });

  test('timestamps that cannot be written are refused', () => {
    const family: MetricFamily = {
      name: 'a',
      type: 'gauge',
      help: '',
      unit: '',
      samples: [{ name: 'a', labels: {}, value: 1, timestampMs: Number.NaN }],
    };
    assert.throws(() => formatExposition([family], 'openmetrics'), RangeError);
    assert.throws(() => formatExposition([family], 'prometheus'), RangeError);
  });

  test('Prometheus timestamps are rounded to whole milliseconds', () => {
    const family: MetricFamily = {
      name: 'a',
      type: 'gauge',
      help: '',
      unit: '',
      samples: [{ name: 'a', labels: {}, value: 1, timestampMs: 1500.6 }],
    };
    assert.equal(formatExposition([family], 'prometheus'), '# TYPE a gauge\na 1 1501\n');
  });
});
