import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ParseExpositionResult, parseExposition } from './index.ts';

const SCRAPE_MS = 1_700_000_000_000;

function prom(text: string): ParseExpositionResult {
  const result = parseExposition(text, { format: 'prometheus', scrapeTimeMs: SCRAPE_MS });
  assert.equal(result.rejected, false, 'the Prometheus format never rejects a whole scrape');
  return result;
}

function codes(result: ParseExpositionResult): string[] {
  return result.issues.map((issue) => issue.code);
}

function clean(text: string) {
  const result = prom(text);
  assert.deepEqual(result.issues, []);
  return result.families;
}

// The example of the "Exposition formats" page; the UTF-8 line is given a value (the page
// shows it without one, which is not a valid sample line).
const SPEC_EXAMPLE = `# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3 1395066363000

# Escaping in label values:
msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9

# UTF-8 metric and label names:
{"my.dotted.metric", "error.message"="Not Found"} 1

# Minimalistic line:
metric_without_timestamp_and_labels 12.47

# A weird metric from before the epoch:
something_weird{problem="division by zero"} +Inf -3982045

# A histogram, which has a pretty complex representation in the text format:
# HELP http_request_duration_seconds A histogram of the request duration.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} 24054
http_request_duration_seconds_bucket{le="0.1"} 33444
http_request_duration_seconds_bucket{le="0.2"} 100392
http_request_duration_seconds_bucket{le="0.5"} 129389
http_request_duration_seconds_bucket{le="1"} 133988
http_request_duration_seconds_bucket{le="+Inf"} 144320
http_request_duration_seconds_sum 53423
http_request_duration_seconds_count 144320

# Finally a summary, which has a complex representation, too:
# HELP rpc_duration_seconds A summary of the RPC duration in seconds.
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.01"} 3102
rpc_duration_seconds{quantile="0.05"} 3272
rpc_duration_seconds{quantile="0.5"} 4773
rpc_duration_seconds{quantile="0.9"} 9001
rpc_duration_seconds{quantile="0.99"} 76656
rpc_duration_seconds_sum 1.7560473e+07
rpc_duration_seconds_count 2693
`;

describe('Prometheus text: the spec example', () => {
  const families = clean(SPEC_EXAMPLE);

  test('gives one family per metric name, typed by its TYPE line or unknown', () => {
    assert.deepEqual(
      families.map((f) => [f.name, f.type, f.samples.length]),
      [
        ['http_requests_total', 'counter', 2],
        ['msdos_file_access_time_seconds', 'unknown', 1],
        ['my.dotted.metric', 'unknown', 1],
        ['metric_without_timestamp_and_labels', 'unknown', 1],
        ['something_weird', 'unknown', 1],
        ['http_request_duration_seconds', 'histogram', 8],
        ['rpc_duration_seconds', 'summary', 7],
      ],
    );
    assert.equal(families[0]?.help, 'The total number of HTTP requests.');
  });

  test('integer millisecond timestamps are kept as they are, negative ones too', () => {
    assert.deepEqual(families[0]?.samples[1], {
      name: 'http_requests_total',
      labels: { method: 'post', code: '400' },
      value: 3,
      timestampMs: 1395066363000,
    });
    assert.deepEqual(families[4]?.samples[0], {
      name: 'something_weird',
      labels: { problem: 'division by zero' },
      value: Number.POSITIVE_INFINITY,
      timestampMs: -3982045,
    });
  });

  test('escaped label values are decoded', () => {
    assert.deepEqual(families[1]?.samples[0]?.labels, {
      path: 'C:\\DIR\\FILE.TXT',
      error: 'Cannot find file:\n"FILE.TXT"',
    });
    assert.equal(families[1]?.samples[0]?.value, 1458255915);
  });

  test('quoted UTF-8 metric and label names are read', () => {
    assert.deepEqual(families[2]?.samples[0], {
      name: 'my.dotted.metric',
      labels: { 'error.message': 'Not Found' },
      value: 1,
    });
  });

  test('histogram le and summary quantile values are canonical numbers', () => {
    assert.deepEqual(
      families[5]?.samples.slice(0, 6).map((s) => s.labels['le']),
      ['0.05', '0.1', '0.2', '0.5', '1.0', '+Inf'],
    );
    assert.deepEqual(
      families[6]?.samples.slice(0, 5).map((s) => s.labels['quantile']),
      ['0.01', '0.05', '0.5', '0.9', '0.99'],
    );
    // 1.7560473e+07 = 17560473
    assert.equal(families[6]?.samples[5]?.value, 17560473);
  });
});

describe('Prometheus text: a bad line is reported and skipped, its neighbours kept', () => {
  test('a malformed sample between two good ones', () => {
    const result = prom('a 1\nb{x="1" 2\nc 3\n');
    assert.deepEqual(
      result.families.map((f) => f.name),
      ['a', 'c'],
    );
    assert.deepEqual(
      result.issues.map((i) => [i.code, i.line, i.column]),
      [['syntax', 2, 9]],
    );
  });

  test('a value that is not a number', () => {
    const result = prom('a 1\nb one\nc 3\n');
    assert.deepEqual(
      result.issues.map((i) => [i.code, i.line, i.column]),
      [['number', 2, 3]],
    );
    assert.equal(result.families.length, 2);
  });

  test('a float timestamp is not a Prometheus timestamp', () => {
    const result = prom('a 1 1395066363.5\nb 2\n');
    assert.deepEqual(codes(result), ['number']);
    assert.deepEqual(
      result.families.map((f) => f.name),
      ['b'],
    );
  });

  test('a duplicate series keeps the first line', () => {
    const result = prom('a{x="1"} 1\na{x="1"} 2\n');
    assert.deepEqual(codes(result), ['series.duplicate']);
    assert.deepEqual(
      result.families[0]?.samples.map((s) => s.value),
      [1],
    );
  });
});

describe('Prometheus text: leniency the format allows', () => {
  test('blanks and tabs separate tokens, leading and trailing whitespace is ignored', () => {
    const [family] = clean(' \t a { x = "1" ,\ty="2" }\t 5 \t 1000 \t\n');
    assert.deepEqual(family?.samples[0], {
      name: 'a',
      labels: { x: '1', y: '2' },
      value: 5,
      timestampMs: 1000,
    });
  });

  test('a trailing comma in a label set is allowed', () => {
    const [family] = clean('a{x="1",} 5\n');
    assert.deepEqual(family?.samples[0]?.labels, { x: '1' });
  });

  test('empty braces, empty lines and ordinary comments', () => {
    const families = clean('\n# a comment\n#\na{} 1\n\n# EOF\nb 2\n');
    assert.deepEqual(
      families.map((f) => f.name),
      ['a', 'b'],
    );
  });

  test('CR LF line endings are tolerated with one warning', () => {
    const result = prom('# TYPE a gauge\r\na 1\r\nb 2\r\n');
    assert.deepEqual(codes(result), ['line-ending']);
    assert.equal(result.issues[0]?.severity, 'warning');
    assert.deepEqual(
      result.families.map((f) => [f.name, f.type, f.samples[0]?.value]),
      [
        ['a', 'gauge', 1],
        ['b', 'unknown', 2],
      ],
    );
  });

  test('a missing final newline is a warning and the line is kept', () => {
    const result = prom('a 1\nb 2');
    assert.deepEqual(codes(result), ['missing-newline']);
    assert.equal(result.families[1]?.samples[0]?.value, 2);
  });

  test('HELP escapes only \\\\ and \\n; \\" stays as written', () => {
    const result = prom('# HELP a line one\\nback\\\\slash \\"quoted\\"\na 1\n');
    assert.equal(result.families[0]?.help, 'line one\nback\\slash \\"quoted\\"');
    assert.deepEqual(codes(result), ['escape', 'escape']);
  });

  test('hex float values are read as Go reads them', () => {
    const [family] = clean('a 0x1p-3\n');
    assert.equal(family?.samples[0]?.value, 0.125);
  });

  test('NaN and infinities, in any case', () => {
    const [family] = clean('a{x="1"} NaN\na{x="2"} +inf\na{x="3"} -Inf\n');
    const values = family?.samples.map((s) => s.value) ?? [];
    assert.ok(Number.isNaN(values[0]));
    assert.deepEqual(values.slice(1), [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
  });

  test('an exemplar is read with a warning, its timestamp in seconds', () => {
    const result = prom('a_total 1 # {trace_id="x"} 0.5 1520879607.789\n');
    assert.deepEqual(codes(result), ['exemplar.format']);
    assert.deepEqual(result.families[0]?.samples[0]?.exemplar, {
      labels: { trace_id: 'x' },
      value: 0.5,
      timestampMs: 1520879607789,
    });
  });

  test('a timestamp in seconds is flagged with a warning', () => {
    const result = prom(`a 1 ${SCRAPE_MS / 1000}\n`);
    assert.deepEqual(codes(result), ['timestamp.unit']);
  });

  test('UTF-8 label values survive', () => {
    const [family] = clean('a{city="Zürich",emoji="📈"} 1\n');
    assert.deepEqual(family?.samples[0]?.labels, { city: 'Zürich', emoji: '📈' });
  });

  test('empty input has no families and no issues', () => {
    assert.deepEqual(clean(''), []);
  });
});

describe('Prometheus text: grouping and metadata', () => {
  test('lines of one metric split by another are merged and flagged', () => {
    const result = prom('a{x="1"} 1\nb 2\na{x="2"} 3\n');
    assert.deepEqual(codes(result), ['family.interleaved']);
    assert.deepEqual(
      result.families.map((f) => [f.name, f.samples.length]),
      [
        ['a', 2],
        ['b', 1],
      ],
    );
  });

  test('a TYPE line after samples of its metric is ignored and flagged', () => {
    const result = prom('a 1\n# TYPE a counter\n');
    assert.deepEqual(codes(result), ['metadata.late']);
    assert.equal(result.families[0]?.type, 'unknown');
  });

  test('a second HELP or TYPE line is flagged and the first kept', () => {
    const result = prom('# HELP a one\n# HELP a two\n# TYPE a gauge\n# TYPE a counter\na 1\n');
    assert.deepEqual(codes(result), ['metadata.duplicate', 'metadata.duplicate']);
    assert.deepEqual([result.families[0]?.help, result.families[0]?.type], ['one', 'gauge']);
  });

  test('OpenMetrics-only types are not Prometheus types', () => {
    const result = prom('# TYPE a gaugehistogram\n# TYPE b untyped\n');
    assert.deepEqual(codes(result), ['metadata.type']);
    assert.equal(result.families[0]?.type, 'unknown');
  });

  test('a histogram with several label sets, each checked on its own', () => {
    const result = prom(`# TYPE h histogram
h_bucket{path="/a",le="1"} 1
h_bucket{path="/a",le="+Inf"} 2
h_count{path="/a"} 2
h_sum{path="/a"} 1.5
h_bucket{path="/b",le="1"} 1
h_bucket{path="/b",le="+Inf"} 2
h_count{path="/b"} 3
h_sum{path="/b"} 9
`);
    assert.deepEqual(
      result.issues.map((i) => [i.code, i.line]),
      [['histogram.count', 8]],
    );
    assert.equal(result.families[0]?.samples.length, 8, 'semantic problems keep the data');
  });

  test('label sets of a histogram may alternate; each point is still checked whole', () => {
    clean(`# TYPE h histogram
h_bucket{path="/a",le="1"} 1
h_bucket{path="/b",le="1"} 5
h_bucket{path="/a",le="+Inf"} 2
h_bucket{path="/b",le="+Inf"} 6
h_count{path="/a"} 2
h_count{path="/b"} 6
`);
    const result = prom(`# TYPE h histogram
h_bucket{path="/a",le="1"} 1
h_bucket{path="/b",le="1"} 5
h_bucket{path="/a",le="+Inf"} 2
h_bucket{path="/b",le="+Inf"} 4
h_count{path="/a"} 2
`);
    assert.deepEqual(
      result.issues.map((i) => [i.code, i.line]),
      [['histogram.buckets', 5]],
    );
  });

  test('an unreadable le is flagged and the sample kept as written', () => {
    const result = prom('# TYPE h histogram\nh_bucket{le="big"} 1\nh_bucket{le="+Inf"} 1\n');
    assert.deepEqual(codes(result), ['histogram.le']);
    assert.equal(result.families[0]?.samples[0]?.labels['le'], 'big');
  });

  test('quantiles must increase', () => {
    const result = prom('# TYPE s summary\ns{quantile="0.9"} 1\ns{quantile="0.5"} 1\n');
    assert.deepEqual(codes(result), ['summary.quantile']);
  });

  test('a sample that cannot belong to its typed family is skipped', () => {
    const result = prom('# TYPE h histogram\nh 1\n');
    assert.deepEqual(codes(result), ['family.suffix']);
    assert.deepEqual(result.families[0]?.samples, []);
  });
});

describe('format detection', () => {
  test('auto follows the content type', () => {
    const result = parseExposition('a 1\n', {
      format: 'auto',
      contentType: 'application/openmetrics-text; version=1.0.0',
      scrapeTimeMs: SCRAPE_MS,
    });
    assert.equal(result.format, 'openmetrics');
    assert.deepEqual(codes(result), ['missing-eof']);
  });

  test('without a content type, a body ending in # EOF is read as OpenMetrics, with a warning', () => {
    const result = parseExposition('a 1\n# EOF\n', { format: 'auto', scrapeTimeMs: SCRAPE_MS });
    assert.equal(result.format, 'openmetrics');
    assert.deepEqual(codes(result), ['content-type']);
    assert.equal(result.rejected, false);
  });

  test('without a content type, other bodies are read as Prometheus text, with a warning', () => {
    const result = parseExposition('a 1\n', {
      format: 'auto',
      contentType: 'text/html',
      scrapeTimeMs: SCRAPE_MS,
    });
    assert.equal(result.format, 'prometheus');
    assert.deepEqual(codes(result), ['content-type']);
  });
});
