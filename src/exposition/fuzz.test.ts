/**
 * Property tests. Seeded, so a failure reproduces; `FUZZ_RUNS=20000` runs longer, and
 * `FUZZ_SEED` picks another seed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  type Exemplar,
  type ExpositionFormat,
  formatCanonicalFloat,
  formatExposition,
  type Labels,
  type MetricFamily,
  type ParseExpositionResult,
  parseExposition,
  type Sample,
} from './index.ts';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 200);
const SEED = Number(process.env['FUZZ_SEED'] ?? 20240611);
const SCRAPE_MS = 1_700_000_000_000;
const PARAMS = { seed: SEED, numRuns: RUNS };
const TIMEOUT = { timeout: 120_000 + RUNS * 50 };

// ---------------------------------------------------------------------------------------
// Generators of valid families

type Make = (prefix: string) => MetricFamily;

function generators(format: ExpositionFormat) {
  const om = format === 'openmetrics';
  const word = fc.stringMatching(/^[a-z]{1,6}$/);
  // Not `le`, which only buckets carry.
  const labelName = (
    om ? fc.stringMatching(/^l[a-zA-Z0-9_]{0,6}$/) : fc.stringMatching(/^l[a-z0-9_.]{0,6}$/)
  ).filter((name) => name !== 'le');
  const labelValue = fc.string({ unit: 'binary', minLength: 1, maxLength: 8 });
  const labels = fc
    .uniqueArray(fc.tuple(labelName, labelValue), { selector: ([name]) => name, maxLength: 3 })
    .map((pairs): Labels => Object.fromEntries(pairs));
  const labelSets = fc.uniqueArray(labels, {
    selector: (set) => JSON.stringify(Object.entries(set).sort(([a], [b]) => (a < b ? -1 : 1))),
    maxLength: 3,
  });
  // Close to the scrape time, so no "wrong unit" warning; whole ms in Prometheus text.
  const timestamp = fc.option(
    om
      ? fc.double({ min: SCRAPE_MS - 1e10, max: SCRAPE_MS + 1e10, noNaN: true })
      : fc.integer({ min: -1e9, max: 1e9 }).map((offset) => SCRAPE_MS + offset * 10),
    { nil: undefined },
  );
  const help = fc
    .string({ unit: 'binary', maxLength: 20 })
    .filter((text) => (om ? !text.endsWith('\r') : !/^[ \t]|[ \t\r]$/.test(text)));
  const anyValue = fc.double();
  const nonNegative = fc.double({ min: 0, noNaN: true });
  const exemplar = fc.option(
    fc
      .record({ labels, value: fc.double(), timestampMs: timestamp })
      .map(({ labels, value, timestampMs }) => {
        const result: Exemplar = { labels, value };
        if (timestampMs !== undefined) result.timestampMs = timestampMs;
        return result;
      }),
    { nil: undefined },
  );
  const point = (
    name: string,
    labels: Labels,
    value: number,
    timestampMs?: number,
    ex?: Exemplar,
  ): Sample => {
    const sample: Sample = { name, labels, value };
    if (timestampMs !== undefined) sample.timestampMs = timestampMs;
    if (ex !== undefined && om) sample.exemplar = ex;
    return sample;
  };
  const family = (type: MetricFamily['type'], name: string, help: string, unit: string, samples: Sample[]) =>
    ({ name, type, help, unit, samples }) satisfies MetricFamily;
  const unit = om ? fc.option(word, { nil: undefined }) : fc.constant(undefined);
  const named = (prefix: string, base: string, unit: string | undefined) =>
    unit === undefined ? `${prefix}_${base}` : `${prefix}_${base}_${unit}`;

  const simple: fc.Arbitrary<Make> = fc
    .record({
      type: fc.constantFrom('gauge' as const, 'unknown' as const),
      base: word,
      dotted: fc.boolean(),
      unit,
      help,
      metrics: fc.array(fc.tuple(anyValue, timestamp), { maxLength: 3 }),
      sets: labelSets,
    })
    .map(({ type, base, dotted, unit, help, sets, metrics }) => (prefix) => {
      const name = !om && dotted ? `${prefix}.${base}` : named(prefix, base, unit);
      const samples = sets.map((set, i) => {
        const [value, ts] = metrics[i] ?? [0, undefined];
        return point(name, set, value, ts);
      });
      return family(type, name, help, om ? (unit ?? '') : '', samples);
    });

  const counter: fc.Arbitrary<Make> = fc
    .record({
      base: word,
      unit,
      help,
      sets: labelSets,
      points: fc.array(
        fc.record({
          total: om ? nonNegative : anyValue,
          created: fc.option(nonNegative),
          ts: timestamp,
          exemplar,
        }),
        { minLength: 3, maxLength: 3 },
      ),
    })
    .map(({ base, unit, help, sets, points }) => (prefix) => {
      const name = named(prefix, base, unit);
      const samples: Sample[] = [];
      sets.forEach((set, i) => {
        const p = points[i];
        if (p === undefined) return;
        if (!om) {
          samples.push(point(name, set, p.total, p.ts));
          return;
        }
        samples.push(point(`${name}_total`, set, p.total, p.ts, p.exemplar));
        if (p.created !== null) samples.push(point(`${name}_created`, set, p.created, p.ts));
      });
      return family('counter', name, help, om ? (unit ?? '') : '', samples);
    });

  const histogram: fc.Arbitrary<Make> = fc
    .record({
      gauge: om ? fc.boolean() : fc.constant(false),
      base: word,
      unit,
      help,
      sets: labelSets,
      bounds: fc.uniqueArray(fc.double({ noNaN: true, noDefaultInfinity: true }), {
        comparator: 'SameValueZero',
        maxLength: 4,
      }),
      increments: fc.array(fc.nat({ max: 1000 }), { minLength: 5, maxLength: 5 }),
      sum: fc.option(nonNegative),
      created: fc.option(nonNegative),
      ts: timestamp,
      exemplars: fc.array(exemplar, { minLength: 5, maxLength: 5 }),
    })
    .map((h) => (prefix) => {
      const name = named(prefix, h.base, h.unit);
      const bounds = [...h.bounds].sort((a, b) => a - b);
      bounds.push(Number.POSITIVE_INFINITY);
      const negative = bounds[0] !== undefined && bounds[0] < 0;
      const samples: Sample[] = [];
      for (const set of h.sets) {
        let cumulative = 0;
        let previous = Number.NEGATIVE_INFINITY;
        bounds.forEach((bound, i) => {
          cumulative += h.increments[i] ?? 0;
          let ex = h.exemplars[i];
          if (ex !== undefined) {
            // An exemplar lies in its bucket: (previous bound, bound].
            const inside = Number.isFinite(bound)
              ? bound
              : !Number.isFinite(previous) || previous < 0
                ? 0
                : previous === 0
                  ? 1
                  : previous * 2;
            ex = { ...ex, value: inside };
          }
          samples.push(
            point(`${name}_bucket`, { ...set, le: formatCanonicalFloat(bound) }, cumulative, h.ts, ex),
          );
          previous = bound;
        });
        if (h.sum !== null && !(om && negative && !h.gauge)) {
          samples.push(point(`${name}${h.gauge ? '_gcount' : '_count'}`, set, cumulative, h.ts));
          samples.push(point(`${name}${h.gauge ? '_gsum' : '_sum'}`, set, h.sum, h.ts));
        }
        if (h.created !== null && om && !h.gauge)
          samples.push(point(`${name}_created`, set, h.created, h.ts));
      }
      return family(
        h.gauge ? 'gaugehistogram' : 'histogram',
        name,
        h.help,
        om ? (h.unit ?? '') : '',
        samples,
      );
    });

  const summary: fc.Arbitrary<Make> = fc
    .record({
      base: word,
      unit,
      help,
      sets: labelSets,
      quantiles: fc.uniqueArray(fc.double({ min: 0, max: 1, noNaN: true }), {
        comparator: 'SameValueZero',
        maxLength: 3,
      }),
      values: fc.array(fc.oneof(nonNegative, fc.constant(Number.NaN)), { minLength: 3, maxLength: 3 }),
      count: fc.option(fc.nat()),
      sum: nonNegative,
      ts: timestamp,
    })
    .map((s) => (prefix) => {
      const name = named(prefix, s.base, s.unit);
      const quantiles = [...s.quantiles].sort((a, b) => a - b);
      const samples: Sample[] = [];
      for (const set of s.sets) {
        quantiles.forEach((q, i) => {
          samples.push(point(name, { ...set, quantile: formatCanonicalFloat(q) }, s.values[i] ?? 0, s.ts));
        });
        if (s.count !== null) {
          samples.push(point(`${name}_count`, set, s.count, s.ts));
          samples.push(point(`${name}_sum`, set, s.sum, s.ts));
        }
      }
      return family('summary', name, s.help, om ? (s.unit ?? '') : '', samples);
    });

  const stateset: fc.Arbitrary<Make> = fc
    .record({
      base: word,
      help,
      sets: labelSets,
      states: fc.uniqueArray(labelValue, { maxLength: 3 }),
      on: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
    })
    .map((s) => (prefix) => {
      const name = `${prefix}_${s.base}`;
      const samples = s.sets.flatMap((set) =>
        s.states.map((state, i) => point(name, { ...set, [name]: state }, s.on[i] ? 1 : 0)),
      );
      return family('stateset', name, s.help, '', samples);
    });

  const info: fc.Arbitrary<Make> = fc.record({ base: word, help, sets: labelSets }).map((s) => (prefix) => {
    const name = `${prefix}_${s.base}`;
    return family(
      'info',
      name,
      s.help,
      '',
      s.sets.map((set) => point(`${name}_info`, set, 1)),
    );
  });

  const kinds = om
    ? [simple, counter, histogram, summary, stateset, info]
    : [simple, counter, histogram, summary];
  return fc
    .array(fc.oneof(...kinds), { maxLength: 6 })
    .map((makers) => makers.map((make, i) => make(`m${i}`)));
}

// ---------------------------------------------------------------------------------------
// Invariants

function parse(text: string, format: ExpositionFormat | 'auto'): ParseExpositionResult {
  return parseExposition(text, { format, scrapeTimeMs: SCRAPE_MS });
}

function checkInvariants(text: string, result: ParseExpositionResult): void {
  const lines = text.split('\n');
  for (const issue of result.issues) {
    assert.ok(Number.isInteger(issue.line) && issue.line >= 1, `line ${issue.line}`);
    assert.ok(Number.isInteger(issue.column) && issue.column >= 1, `column ${issue.column}`);
    assert.ok(issue.line <= lines.length + 1, `line ${issue.line} of ${lines.length}`);
    const line = lines[issue.line - 1];
    if (line !== undefined)
      assert.ok(issue.column <= line.length + 2, `column ${issue.column} of ${line.length}`);
    assert.ok(issue.message.length > 0);
  }
  const hasError = result.issues.some((issue) => issue.severity === 'error');
  if (result.format === 'openmetrics') assert.equal(result.rejected, hasError);
  else assert.equal(result.rejected, false);
  if (result.rejected) assert.deepEqual(result.families, []);
  for (const family of result.families) {
    for (const sample of family.samples) {
      assert.equal(typeof sample.value, 'number');
      for (const value of Object.values(sample.labels)) assert.ok(typeof value === 'string' && value !== '');
    }
  }
}

/** What survives a trip through the Prometheus format: no exemplars. */
function withoutExemplars(families: MetricFamily[]): MetricFamily[] {
  return families.map((family) => ({
    ...family,
    samples: family.samples.map(({ exemplar: _dropped, ...sample }) => sample),
  }));
}

// ---------------------------------------------------------------------------------------
// Mutations

const TRICKY = [
  '{',
  '}',
  '"',
  '\\',
  ',',
  '=',
  '#',
  ' ',
  '\t',
  '\n',
  '\r',
  '\r\n',
  '# EOF\n',
  '# TYPE x counter\n',
  '# HELP x h\\',
  'NaN',
  '+Inf',
  'le="',
  '_total',
  '_bucket',
  '\ud800',
  '📈',
  '\u0000',
  'e',
  '.',
  '-',
  '9',
  '\ufeff',
];

type Mutation =
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'duplicate-line'; at: number }
  | { kind: 'swap-lines'; a: number; b: number }
  | { kind: 'truncate'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.oneof(fc.constantFrom(...TRICKY), fc.string({ maxLength: 3 })),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('duplicate-line' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap-lines' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

function mutate(text: string, mutations: Mutation[]): string {
  for (const m of mutations) {
    const length = text.length;
    if (m.kind === 'insert') {
      const at = length === 0 ? 0 : m.at % (length + 1);
      text = text.slice(0, at) + m.text + text.slice(at);
    } else if (m.kind === 'delete' && length > 0) {
      const at = m.at % length;
      text = text.slice(0, at) + text.slice(at + m.length);
    } else if (m.kind === 'truncate') {
      text = text.slice(0, length === 0 ? 0 : m.at % (length + 1));
    } else {
      const lines = text.split('\n');
      if (m.kind === 'duplicate-line') {
        const at = m.at % lines.length;
        lines.splice(at, 0, lines[at] as string);
      } else if (m.kind === 'swap-lines') {
        const a = m.a % lines.length;
        const b = m.b % lines.length;
        [lines[a], lines[b]] = [lines[b] as string, lines[a] as string];
      }
      text = lines.join('\n');
    }
  }
  return text;
}

const SEEDS = [
  `# TYPE foo histogram
# HELP foo Latency, "quoted" \\\\ and \\n.
foo_bucket{le="0.01",path="/a"} 0
foo_bucket{le="0.1",path="/a"} 8 # {} 0.054
foo_bucket{le="1",path="/a"} 11 # {trace_id="KOO5S4vxi0o"} 0.67
foo_bucket{le="+Inf",path="/a"} 17 # {trace_id="oHg5SJYRHA0"} 9.8 1520879607.789
foo_count{path="/a"} 17
foo_sum{path="/a"} 324789.3
foo_created{path="/a"} 1520430000.123
# TYPE bar counter
# UNIT bar_seconds seconds
bar_total{a="x\\"y\\nz",b="Zürich 📈"} 1.5e3 1520879607.789
# TYPE st stateset
st{st="a"} 1
st{st="b"} 0
# TYPE i info
i_info{v="1"} 1
# EOF
`,
  `# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200",} 1027 1395066363000
  http_requests_total{method="post",code="400"}    3 1395066363000
msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9
{"my.dotted.metric", "error.message"="Not Found"} 1
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.01"} 3102
rpc_duration_seconds{quantile="0.5"} NaN
rpc_duration_seconds_sum 1.7560473e+07
rpc_duration_seconds_count 2693
something_weird{problem="division by zero"} +Inf -3982045
`,
];

// ---------------------------------------------------------------------------------------

describe('fuzz: format then parse gives back the families', () => {
  for (const format of ['openmetrics', 'prometheus'] as const) {
    test(`${format}: random families round-trip exactly`, TIMEOUT, () => {
      fc.assert(
        fc.property(generators(format), (families) => {
          const text = formatExposition(families, format);
          const result = parse(text, format);
          assert.deepEqual(result.issues, [], text);
          assert.deepEqual(result.families, families);
        }),
        PARAMS,
      );
    });
  }
});

describe('fuzz: strictness', () => {
  const badLine = fc.constantFrom(
    '{ bad',
    '9lives 1',
    'x{ 1',
    'x 1 2 3',
    'x{a="1"',
    'x{a=1} 2',
    'x one',
    'x{a="1",a="2"} 3',
  );

  test('Prometheus text: a bad line anywhere loses nothing around it', TIMEOUT, () => {
    fc.assert(
      fc.property(generators('prometheus'), badLine, fc.nat(), (families, bad, at) => {
        const lines = formatExposition(families, 'prometheus').split('\n');
        const line = at % lines.length;
        lines.splice(line, 0, bad);
        const result = parse(lines.join('\n'), 'prometheus');
        assert.deepEqual(result.families, families);
        assert.deepEqual(
          result.issues.map((issue) => [issue.severity, issue.line]),
          [['error', line + 1]],
        );
      }),
      PARAMS,
    );
  });

  test('OpenMetrics: any truncation is caught and rejects the scrape', TIMEOUT, () => {
    fc.assert(
      fc.property(generators('openmetrics'), fc.nat(), (families, at) => {
        const text = formatExposition(families, 'openmetrics');
        const cut = at % (text.length - 4); // anywhere before "EOF\n" is complete
        const result = parse(text.slice(0, cut), 'openmetrics');
        assert.equal(result.rejected, true);
        assert.ok(result.issues.some((issue) => issue.code === 'missing-eof'));
      }),
      PARAMS,
    );
  });
});

describe('fuzz: mutated expositions never throw and report positions inside the text', () => {
  const documents = fc.oneof(
    fc.constantFrom(...SEEDS),
    generators('openmetrics').map((families) => formatExposition(families, 'openmetrics')),
    generators('prometheus').map((families) => formatExposition(families, 'prometheus')),
  );

  test('mutations of valid expositions', TIMEOUT, () => {
    fc.assert(
      fc.property(documents, fc.array(mutation, { minLength: 1, maxLength: 6 }), (document, mutations) => {
        const text = mutate(document, mutations);
        for (const format of ['openmetrics', 'prometheus', 'auto'] as const) {
          checkInvariants(text, parse(text, format));
        }
      }),
      PARAMS,
    );
  });

  test('an accepted exposition formats and reads back to the same families', TIMEOUT, () => {
    fc.assert(
      fc.property(documents, fc.array(mutation, { maxLength: 3 }), (document, mutations) => {
        const text = mutate(document, mutations);
        const om = parse(text, 'openmetrics');
        if (!om.rejected) {
          const again = parse(formatExposition(om.families, 'openmetrics'), 'openmetrics');
          assert.equal(again.rejected, false);
          assert.deepEqual(again.families, om.families);
        }
        const prom = parse(text, 'prometheus');
        const families = prom.families.filter((family) => /^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(family.name));
        let formatted: string;
        try {
          formatted = formatExposition(families, 'prometheus');
        } catch {
          return; // a timestamp outside int64 cannot be written back
        }
        const promAgain = parse(formatted, 'prometheus');
        assert.deepEqual(withoutExemplars(promAgain.families), withoutExemplars(families));
      }),
      PARAMS,
    );
  });

  test('arbitrary strings', TIMEOUT, () => {
    const alphabet = fc.oneof(
      fc.constantFrom(...TRICKY),
      fc.stringMatching(/^[a-z_]{1,4}$/),
      fc.string({ unit: 'binary', maxLength: 2 }),
    );
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 40 }), (parts) => {
        const text = parts.join('');
        for (const format of ['openmetrics', 'prometheus'] as const)
          checkInvariants(text, parse(text, format));
      }),
      PARAMS,
    );
  });
});
