import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ParseExpositionResult, parseExposition } from './index.ts';

// 2023-11-14T22:13:20Z; far from every timestamp below, so no unit warnings.
const SCRAPE_MS = 1_700_000_000_000;

function om(text: string): ParseExpositionResult {
  return parseExposition(text, { format: 'openmetrics', scrapeTimeMs: SCRAPE_MS });
}

function codes(result: ParseExpositionResult): string[] {
  return result.issues.map((issue) => issue.code);
}

/** Parses, asserts no issue at all, returns the families. */
function clean(text: string) {
  const result = om(text);
  assert.deepEqual(result.issues, []);
  assert.equal(result.rejected, false);
  return result.families;
}

/** Parses, asserts that the exposition was rejected with exactly these issue codes. */
function rejects(text: string, expected: string[]) {
  const result = om(text);
  assert.deepEqual(codes(result), expected);
  assert.equal(result.rejected, true);
  assert.deepEqual(result.families, []);
  return result.issues;
}

describe('OpenMetrics: the spec examples parse as the spec describes them', () => {
  test('the complete example exposition gives a summary, a gauge and a counter', () => {
    const families = clean(`# TYPE acme_http_router_request_seconds summary
# UNIT acme_http_router_request_seconds seconds
# HELP acme_http_router_request_seconds Latency though all of ACME's HTTP request router.
acme_http_router_request_seconds_sum{path="/api/v1",method="GET"} 9036.32
acme_http_router_request_seconds_count{path="/api/v1",method="GET"} 807283.0
acme_http_router_request_seconds_created{path="/api/v1",method="GET"} 1605281325.0
acme_http_router_request_seconds_sum{path="/api/v2",method="POST"} 479.3
acme_http_router_request_seconds_count{path="/api/v2",method="POST"} 34.0
acme_http_router_request_seconds_created{path="/api/v2",method="POST"} 1605281325.0
# TYPE go_goroutines gauge
# HELP go_goroutines Number of goroutines that currently exist.
go_goroutines 69
# TYPE process_cpu_seconds counter
# UNIT process_cpu_seconds seconds
# HELP process_cpu_seconds Total user and system CPU time spent in seconds.
process_cpu_seconds_total 4.20072246e+06
# EOF
`);
    assert.deepEqual(
      families.map((f) => [f.name, f.type, f.unit, f.samples.length]),
      [
        ['acme_http_router_request_seconds', 'summary', 'seconds', 6],
        ['go_goroutines', 'gauge', '', 1],
        ['process_cpu_seconds', 'counter', 'seconds', 1],
      ],
    );
    assert.equal(families[0]?.help, "Latency though all of ACME's HTTP request router.");
    assert.deepEqual(families[0]?.samples[4], {
      name: 'acme_http_router_request_seconds_count',
      labels: { path: '/api/v2', method: 'POST' },
      value: 34,
    });
    // 4.20072246e+06 = 4200722.46
    assert.deepEqual(families[2]?.samples[0], {
      name: 'process_cpu_seconds_total',
      labels: {},
      value: 4200722.46,
    });
  });

  test('gauge points with float-second timestamps become milliseconds', () => {
    const [family] = clean('# TYPE foo gauge\nfoo{a="b"} 17.0 1520879607.789\nfoo{a="c"} 17.0\n# EOF\n');
    assert.deepEqual(family?.samples, [
      { name: 'foo', labels: { a: 'b' }, value: 17, timestampMs: 1520879607789 },
      { name: 'foo', labels: { a: 'c' }, value: 17 },
    ]);
  });

  test('a gauge with two points with increasing timestamps is valid', () => {
    const [family] = clean('# TYPE foo gauge\nfoo 17.0 123\nfoo 18.0 456\n# EOF\n');
    assert.deepEqual(
      family?.samples.map((s) => [s.value, s.timestampMs]),
      [
        [17, 123000],
        [18, 456000],
      ],
    );
  });

  test('a counter with total, created and timestamps', () => {
    const [family] = clean(
      '# TYPE foo counter\nfoo_total 17.0 1520879607.789\nfoo_created 1520430000.123 1520879607.789\n# EOF\n',
    );
    assert.deepEqual(family?.samples, [
      { name: 'foo_total', labels: {}, value: 17, timestampMs: 1520879607789 },
      { name: 'foo_created', labels: {}, value: 1520430000.123, timestampMs: 1520879607789 },
    ]);
  });

  test('a stateset with an entity label has one sample per state', () => {
    const [family] = clean(`# TYPE foo stateset
foo{entity="controller",foo="a"} 1.0
foo{entity="controller",foo="bb"} 0.0
foo{entity="controller",foo="ccc"} 0.0
foo{entity="replica",foo="a"} 1.0
foo{entity="replica",foo="bb"} 0.0
foo{entity="replica",foo="ccc"} 1.0
# EOF
`);
    assert.equal(family?.type, 'stateset');
    assert.deepEqual(family?.samples[5]?.labels, { entity: 'replica', foo: 'ccc' });
  });

  test('an info family with an entity label', () => {
    const [family] = clean(`# TYPE foo info
foo_info{entity="controller",name="pretty name",version="8.2.7"} 1.0
foo_info{entity="replica",name="prettier name",version="8.1.9"} 1.0
# EOF
`);
    assert.deepEqual(family?.samples[1]?.labels, {
      entity: 'replica',
      name: 'prettier name',
      version: '8.1.9',
    });
  });

  test('summary quantiles are canonical numbers', () => {
    const [family] = clean(
      '# TYPE foo summary\nfoo{quantile="0.95"} 123.7\nfoo{quantile="0.99"} 150.0\n# EOF\n',
    );
    assert.deepEqual(
      family?.samples.map((s) => s.labels['quantile']),
      ['0.95', '0.99'],
    );
  });

  test('the twelve-bucket histogram keeps its canonical le values and order', () => {
    const [family] = clean(`# TYPE foo histogram
foo_bucket{le="0.0"} 0
foo_bucket{le="1e-05"} 0
foo_bucket{le="0.0001"} 5
foo_bucket{le="0.1"} 8
foo_bucket{le="1.0"} 10
foo_bucket{le="10.0"} 11
foo_bucket{le="100000.0"} 11
foo_bucket{le="1e+06"} 15
foo_bucket{le="1e+23"} 16
foo_bucket{le="1.1e+23"} 17
foo_bucket{le="+Inf"} 17
foo_count 17
foo_sum 324789.3
foo_created 1520430000.123
# EOF
`);
    assert.deepEqual(
      family?.samples.filter((s) => s.name === 'foo_bucket').map((s) => s.labels['le']),
      ['0.0', '1e-05', '0.0001', '0.1', '1.0', '10.0', '100000.0', '1e+06', '1e+23', '1.1e+23', '+Inf'],
    );
  });

  test('exemplars: none, empty label set, one label, label and timestamp', () => {
    const [family] = clean(`# TYPE foo histogram
foo_bucket{le="0.01"} 0
foo_bucket{le="0.1"} 8 # {} 0.054
foo_bucket{le="1"} 11 # {trace_id="KOO5S4vxi0o"} 0.67
foo_bucket{le="10"} 17 # {trace_id="oHg5SJYRHA0"} 9.8 1520879607.789
foo_bucket{le="+Inf"} 17
foo_count 17
foo_sum 324789.3
foo_created 1520430000.123
# EOF
`);
    const buckets = family?.samples ?? [];
    assert.equal(buckets[0]?.exemplar, undefined);
    assert.deepEqual(buckets[1]?.exemplar, { labels: {}, value: 0.054 });
    assert.deepEqual(buckets[2], {
      name: 'foo_bucket',
      labels: { le: '1.0' },
      value: 11,
      exemplar: { labels: { trace_id: 'KOO5S4vxi0o' }, value: 0.67 },
    });
    assert.deepEqual(buckets[3]?.exemplar, {
      labels: { trace_id: 'oHg5SJYRHA0' },
      value: 9.8,
      timestampMs: 1520879607789,
    });
  });

  test("the spec's exemplar example has two spaces before the created value, which its ABNF rejects", () => {
    const issues = rejects(
      '# TYPE foo histogram\nfoo_bucket{le="+Inf"} 17\nfoo_count 17\nfoo_sum 3.3\nfoo_created  1520430000.123\n# EOF\n',
      ['syntax'],
    );
    assert.deepEqual([issues[0]?.line, issues[0]?.column], [5, 13]);
    assert.match(issues[0]?.message ?? '', /exactly one space/);
  });

  test('a gauge histogram with _gcount and _gsum', () => {
    const [family] = clean(`# TYPE foo gaugehistogram
foo_bucket{le="0.01"} 20.0
foo_bucket{le="0.1"} 25.0
foo_bucket{le="1"} 34.0
foo_bucket{le="10"} 34.0
foo_bucket{le="+Inf"} 42.0
foo_gcount 42.0
foo_gsum 3289.3
# EOF
`);
    assert.equal(family?.samples.length, 7);
  });

  test('a family without metrics and one without TYPE (unknown)', () => {
    const families = clean('# TYPE foo gauge\nbar 42.23\n# EOF\n');
    assert.deepEqual(
      families.map((f) => [f.name, f.type, f.samples.length]),
      [
        ['foo', 'gauge', 0],
        ['bar', 'unknown', 1],
      ],
    );
  });

  test('metadata escapes: HELP unescapes \\n, \\" and \\\\', () => {
    const [family] = clean(
      '# TYPE foo_seconds counter\n# UNIT foo_seconds seconds\n# HELP foo_seconds Some text and \\n some \\" escaping\n# EOF\n',
    );
    assert.equal(family?.help, 'Some text and \n some " escaping');
  });

  test('label values unescape \\", \\n and \\\\', () => {
    const [family] = clean('bar_seconds_count{a="x",b="escaping\\" example \\n "} 0\n# EOF\n');
    assert.deepEqual(family?.samples[0]?.labels, { a: 'x', b: 'escaping" example \n ' });
  });

  test('a sample renders the same with no braces and with empty braces', () => {
    const [a] = clean('bar_seconds_count 0\n# EOF\n');
    const [b] = clean('bar_seconds_count{} 0\n# EOF\n');
    assert.deepEqual(a, b);
  });

  test('points of several metrics, each grouped with increasing timestamps, are valid', () => {
    clean(`# TYPE foo_seconds summary
# UNIT foo_seconds seconds
foo_seconds_count{a="bb"} 0 123
foo_seconds_sum{a="bb"} 0 123
foo_seconds_count{a="bb"} 0 456
foo_seconds_sum{a="bb"} 0 456
foo_seconds_count{a="ccc"} 0 123
foo_seconds_sum{a="ccc"} 0 123
foo_seconds_count{a="ccc"} 0 456
foo_seconds_sum{a="ccc"} 0 456
# EOF
`);
  });
});

describe('OpenMetrics: the whole exposition is rejected when it is invalid', () => {
  test('a missing # EOF rejects the scrape, pointing after the last line', () => {
    const issues = rejects('# TYPE foo gauge\nfoo 1\n', ['missing-eof']);
    assert.deepEqual([issues[0]?.line, issues[0]?.column], [3, 1]);
  });

  test('an empty body has no # EOF either', () => {
    rejects('', ['missing-eof']);
  });

  test('# EOF without a final newline is valid', () => {
    assert.deepEqual(clean('foo 1\n# EOF'), [
      { name: 'foo', type: 'unknown', help: '', unit: '', samples: [{ name: 'foo', labels: {}, value: 1 }] },
    ]);
  });

  test('content after # EOF rejects the scrape, even a blank line', () => {
    assert.equal(rejects('# EOF\nfoo 1\n', ['after-eof'])[0]?.line, 2);
    rejects('# EOF\n\n', ['after-eof']);
  });

  test('CR LF line endings are rejected once, not once per line', () => {
    rejects('foo 1\r\nbar 2\r\n# EOF\r\n', ['line-ending']);
  });

  test('every issue is listed even though the first already rejects', () => {
    const issues = rejects('foo 1 \nbar x\n', ['syntax', 'number', 'missing-eof']);
    assert.deepEqual(
      issues.map((i) => [i.line, i.column]),
      [
        [1, 6],
        [2, 5],
        [3, 1],
      ],
    );
  });

  test('a byte order mark is rejected', () => {
    rejects('\ufefffoo 1\n# EOF\n', ['byte-order-mark']);
  });

  test('blank lines and comments are not allowed', () => {
    rejects('foo 1\n\n# EOF\n', ['syntax']);
    rejects('# just a comment\nfoo 1\n# EOF\n', ['comment']);
    rejects('#TYPE foo gauge\n# EOF\n', ['comment']);
  });

  test('tokens are separated by exactly one space, with none leading or trailing', () => {
    rejects('foo  1\n# EOF\n', ['syntax']);
    rejects('foo\t1\n# EOF\n', ['syntax']);
    rejects(' foo 1\n# EOF\n', ['syntax']);
    rejects('foo 1 \n# EOF\n', ['syntax']);
    rejects('foo{a="1", b="2"} 1\n# EOF\n', ['syntax']);
  });

  test('a trailing comma in a label set is not allowed', () => {
    const issues = rejects('foo{a="1",} 1\n# EOF\n', ['syntax']);
    assert.match(issues[0]?.message ?? '', /trailing comma/);
  });

  test('hex floats are not OpenMetrics numbers', () => {
    rejects('foo 0x1p-3\n# EOF\n', ['number']);
  });

  test('interleaved families are flagged', () => {
    const issues = rejects('# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na 2\n# EOF\n', ['family.interleaved']);
    assert.equal(issues[0]?.line, 5);
    rejects('# TYPE a gauge\na 1\nb 1\n# TYPE a gauge\n# EOF\n', ['family.interleaved']);
  });

  test('interleaved metrics within a family are flagged (the spec counter-example)', () => {
    rejects(
      `# TYPE foo_seconds summary
# UNIT foo_seconds seconds
foo_seconds_count{a="bb"} 0 123
foo_seconds_count{a="ccc"} 0 123
foo_seconds_count{a="bb"} 0 456
foo_seconds_count{a="ccc"} 0 456
# EOF
`,
      ['metric.interleaved', 'metric.interleaved'],
    );
  });

  test('interleaved points of one metric are flagged (the spec counter-example)', () => {
    const issues = rejects(
      `# TYPE foo_seconds summary
# UNIT foo_seconds seconds
foo_seconds_count{a="bb"} 0 123
foo_seconds_count{a="bb"} 0 456
foo_seconds_sum{a="bb"} 0 123
foo_seconds_sum{a="bb"} 0 456
# EOF
`,
      ['timestamp.order'],
    );
    assert.equal(issues[0]?.line, 5);
  });

  test('a duplicate series is flagged, label order notwithstanding', () => {
    rejects('foo{a="1",b="2"} 1\nfoo{b="2",a="1"} 2\n# EOF\n', ['series.duplicate']);
  });

  test('a duplicate series with many labels in another order is still found', () => {
    const pairs = Array.from({ length: 40 }, (_, i) => `l${i}="${i}"`);
    rejects(`foo{${pairs.join(',')}} 1\nfoo{${pairs.reverse().join(',')}} 2\n# EOF\n`, ['series.duplicate']);
  });

  test('timestamps of one series must increase', () => {
    rejects('foo 1 456\nfoo 2 123\n# EOF\n', ['timestamp.order']);
  });

  test('metadata must be unique and come before the samples', () => {
    rejects('# TYPE a gauge\n# TYPE a gauge\n# EOF\n', ['metadata.duplicate']);
    rejects('# TYPE a gauge\na 1\n# HELP a late\n# EOF\n', ['metadata.late']);
    rejects('# TYPE a histogrm\n# EOF\n', ['metadata.type']);
  });

  test('metadata order other than TYPE, UNIT, HELP is only a warning', () => {
    const result = om('# HELP a_bytes x\n# TYPE a_bytes gauge\n# UNIT a_bytes bytes\n# EOF\n');
    assert.deepEqual(codes(result), ['metadata.order']);
    assert.equal(result.rejected, false);
  });

  test('HELP and UNIT may be empty, meaning absent, but the space after the name is required', () => {
    const [family] = clean('# TYPE a gauge\n# UNIT a \n# HELP a \n# EOF\n');
    assert.deepEqual([family?.unit, family?.help], ['', '']);
    rejects('# HELP a\n# EOF\n', ['syntax']);
  });

  test('a unit must be the suffix of the family name, and stateset and info have none', () => {
    rejects('# TYPE foo counter\n# UNIT foo seconds\n# EOF\n', ['metadata.unit']);
    rejects('# TYPE foo_bytes info\n# UNIT foo_bytes bytes\n# EOF\n', ['metadata.unit']);
  });

  test('a counter sample needs the _total suffix', () => {
    const issues = rejects('# TYPE foo counter\nfoo 1\n# EOF\n', ['family.suffix']);
    assert.match(issues[0]?.message ?? '', /foo_total, foo_created/);
  });

  test('counter totals must not be NaN or negative', () => {
    rejects('# TYPE foo counter\nfoo_total NaN\n# EOF\n', ['value.invalid']);
    rejects('# TYPE foo counter\nfoo_total -1\n# EOF\n', ['value.invalid']);
  });

  test('stateset values are 0 or 1 and name their state in a label; info values are 1', () => {
    rejects('# TYPE foo stateset\nfoo{foo="a"} 2\n# EOF\n', ['value.invalid']);
    rejects('# TYPE foo stateset\nfoo{bar="a"} 1\n# EOF\n', ['value.invalid']);
    rejects('# TYPE foo info\nfoo_info{a="b"} 2\n# EOF\n', ['value.invalid']);
  });

  test('NaN and infinities are ordinary gauge values', () => {
    const [family] = clean(
      '# TYPE foo gauge\nfoo{a="1"} NaN\nfoo{a="2"} +Inf\nfoo{a="3"} -Inf\nfoo{a="4"} nan\n# EOF\n',
    );
    const values = family?.samples.map((s) => s.value) ?? [];
    assert.ok(Number.isNaN(values[0]) && Number.isNaN(values[3]));
    assert.deepEqual(values.slice(1, 3), [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
  });

  test('NaN is not a timestamp', () => {
    rejects('foo 1 NaN\n# EOF\n', ['number']);
  });

  test('exemplars: only on counter totals and buckets, at most 128 characters, inside their bucket', () => {
    rejects('# TYPE foo gauge\nfoo 1 # {a="b"} 1\n# EOF\n', ['exemplar.invalid']);
    rejects(`# TYPE foo counter\nfoo_total 1 # {trace_id="${'x'.repeat(121)}"} 1\n# EOF\n`, [
      'exemplar.invalid',
    ]);
    clean(`# TYPE foo counter\nfoo_total 1 # {trace_id="${'x'.repeat(120)}"} 1\n# EOF\n`);
    rejects('# TYPE foo histogram\nfoo_bucket{le="1"} 1 # {} 2\nfoo_bucket{le="+Inf"} 1\n# EOF\n', [
      'exemplar.invalid',
    ]);
  });

  test('malformed exemplars are syntax errors', () => {
    rejects('# TYPE a histogram\na_bucket{le="+Inf"} 1 #\n# EOF\n', ['syntax']);
    rejects('# TYPE a histogram\na_bucket{le="+Inf"} 1 # {}1\n# EOF\n', ['syntax']);
    rejects('# TYPE a histogram\na_bucket{le="+Inf"} 1 # {} 1 1 \n# EOF\n', ['syntax']);
  });
});

describe('OpenMetrics histograms', () => {
  test('each label set is its own histogram, validated separately', () => {
    const result = om(`# TYPE rpc_seconds histogram
rpc_seconds_bucket{method="get",le="0.5"} 3
rpc_seconds_bucket{method="get",le="+Inf"} 4
rpc_seconds_count{method="get"} 4
rpc_seconds_sum{method="get"} 1.5
rpc_seconds_bucket{method="put",le="0.5"} 5
rpc_seconds_bucket{method="put",le="+Inf"} 4
rpc_seconds_count{method="put"} 4
rpc_seconds_sum{method="put"} 2
# EOF
`);
    assert.deepEqual(codes(result), ['histogram.buckets']);
    assert.equal(result.issues[0]?.line, 7);
  });

  test('le="1" and le="1.0" are the same bucket', () => {
    rejects('# TYPE a histogram\na_bucket{le="1"} 0\na_bucket{le="1.0"} 0\na_bucket{le="+Inf"} 0\n# EOF\n', [
      'series.duplicate',
      'histogram.buckets',
    ]);
  });

  test('buckets must be sorted by le, include +Inf, and match _count', () => {
    rejects('# TYPE a histogram\na_bucket{le="2"} 0\na_bucket{le="1"} 0\na_bucket{le="+Inf"} 0\n# EOF\n', [
      'histogram.buckets',
    ]);
    rejects('# TYPE a histogram\na_bucket{le="1"} 0\n# EOF\n', ['histogram.buckets']);
    rejects('# TYPE a histogram\na_bucket{le="+Inf"} 3\na_count 4\na_sum 1\n# EOF\n', ['histogram.count']);
    rejects('# TYPE a histogram\na_bucket{le="+Inf"} 3\na_count 3\n# EOF\n', ['histogram.count']);
  });

  test('bucket and count values are non-negative integers', () => {
    rejects('# TYPE a histogram\na_bucket{le="+Inf"} 1.5\n# EOF\n', ['value.invalid']);
    rejects('# TYPE a gaugehistogram\na_bucket{le="+Inf"} NaN\n# EOF\n', ['value.invalid']);
  });

  test('le must be a number, written +Inf for infinity, and only on buckets', () => {
    rejects('# TYPE a histogram\na_bucket{le="x"} 0\n# EOF\n', ['histogram.le']);
    rejects('# TYPE a histogram\na_bucket{le="+INF"} 0\n# EOF\n', ['histogram.le']);
    rejects('# TYPE a histogram\na_bucket 0\n# EOF\n', ['histogram.le']);
    rejects('# TYPE a histogram\na_bucket{le="+Inf"} 0\na_count{le="1"} 0\na_sum 0\n# EOF\n', [
      'histogram.le',
    ]);
  });
});

describe('OpenMetrics strings', () => {
  test('UTF-8 label values survive, astral characters included', () => {
    const [family] = clean('foo{city="Zürich",emoji="📈",cjk="東京"} 1\n# EOF\n');
    assert.deepEqual(family?.samples[0]?.labels, { city: 'Zürich', emoji: '📈', cjk: '東京' });
  });

  test('NUL and a lone CR are valid inside label values', () => {
    const [family] = clean('foo{a="x\u0000y\rz"} 1\n# EOF\n');
    assert.equal(family?.samples[0]?.labels['a'], 'x\u0000y\rz');
  });

  test('an unpaired surrogate is not valid UTF-8', () => {
    const issues = rejects('foo{a="\ud800"} 1\n# EOF\n', ['encoding']);
    assert.equal(issues[0]?.column, 8);
  });

  test('unknown escapes keep their backslash, with a warning', () => {
    const result = om('foo{a="b\\\\a\\z"} 1\n# EOF\n');
    assert.deepEqual(codes(result), ['escape']);
    assert.equal(result.families[0]?.samples[0]?.labels['a'], 'b\\a\\z');
  });

  test('an empty label value means the label is absent', () => {
    const [family] = clean('foo{a="",b="x"} 1\n# EOF\n');
    assert.deepEqual(family?.samples[0]?.labels, { b: 'x' });
  });

  test('a label named __proto__ is an ordinary own label (and reserved, a warning)', () => {
    const result = om('foo{__proto__="x"} 1\n# EOF\n');
    assert.deepEqual(codes(result), ['label.reserved']);
    const labels = result.families[0]?.samples[0]?.labels ?? {};
    assert.deepEqual(Object.keys(labels), ['__proto__']);
    assert.equal(Object.getPrototypeOf(labels), Object.prototype);
  });

  test('a label named twice is an error', () => {
    rejects('foo{a="1",a="2"} 1\n# EOF\n', ['label.duplicate']);
  });

  test('an unterminated label value points at its opening quote', () => {
    const issues = rejects('foo{a="1} 1\n# EOF\n', ['syntax']);
    assert.equal(issues[0]?.column, 7);
  });

  test('a very long line parses whole', () => {
    const long = 'v'.repeat(1_000_000);
    const [family] = clean(`foo{a="${long}"} 1\n# EOF\n`);
    assert.equal(family?.samples[0]?.labels['a']?.length, 1_000_000);
  });
});

describe('OpenMetrics timestamps', () => {
  test('a timestamp in milliseconds is flagged with a warning', () => {
    const result = om(`foo 1 ${SCRAPE_MS}\n# EOF\n`);
    assert.deepEqual(codes(result), ['timestamp.unit']);
    assert.equal(result.families[0]?.samples[0]?.timestampMs, SCRAPE_MS * 1000);
  });

  test('negative timestamps are allowed', () => {
    const [family] = clean('foo 1 -1.5\n# EOF\n');
    assert.equal(family?.samples[0]?.timestampMs, -1500);
  });
});
