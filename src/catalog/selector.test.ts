import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { fuzzParameters } from '../../test/support/fuzz.ts';
import {
  formatSelector,
  type LabelMatcher,
  type MatchOp,
  parseSelector,
  type SeriesSelector,
} from './index.ts';

function parsed(text: string): SeriesSelector {
  const result = parseSelector(text);
  if (!result.ok) assert.fail(`"${text}" did not parse: ${JSON.stringify(result.issues)}`);
  return result.value;
}

function failure(text: string): { message: string; offset: number } {
  const result = parseSelector(text);
  if (result.ok) assert.fail(`"${text}" parsed as ${JSON.stringify(result.value)}`);
  assert.equal(result.issues.length, 1);
  return result.issues[0]!;
}

describe('parsing selectors', () => {
  test('a metric with all four operators keeps each matcher in order', () => {
    assert.deepEqual(
      parsed('http_requests_total{job="api", code=~"5..", method!="GET", path!~"/health.*"}'),
      {
        metric: 'http_requests_total',
        matchers: [
          { name: 'job', op: '=', value: 'api' },
          { name: 'code', op: '=~', value: '5..' },
          { name: 'method', op: '!=', value: 'GET' },
          { name: 'path', op: '!~', value: '/health.*' },
        ],
      },
    );
  });

  test('a bare metric name, with colons and surrounding spaces, is a selector', () => {
    assert.deepEqual(parsed('  job:http_requests:rate5m  '), {
      metric: 'job:http_requests:rate5m',
      matchers: [],
    });
  });

  test('double-quoted values decode \\n \\t \\" and \\\\ escapes', () => {
    assert.deepEqual(parsed('up{msg="a\\"b\\\\c\\nd\\te"}').matchers[0]!.value, 'a"b\\c\nd\te');
  });

  test("single-quoted values decode \\' and keep double quotes as they are", () => {
    assert.equal(parsed("up{msg='it\\'s \"x\"'}").matchers[0]!.value, `it's "x"`);
  });

  test('an unknown escape in a regex is kept for the regex engine', () => {
    assert.equal(parsed('up{version=~"1\\.2\\d"}').matchers[0]!.value, '1\\.2\\d');
  });

  test('backtick strings are raw: no escape is decoded', () => {
    assert.equal(parsed('up{path=~`C:\\\\temp\\n`}').matchers[0]!.value, 'C:\\\\temp\\n');
  });

  test('quoted UTF-8 label names are allowed, in the Prometheus 3 style', () => {
    assert.deepEqual(parsed('{"service.name"="checkout", "ünïcode-label"!="x"}'), {
      matchers: [
        { name: 'service.name', op: '=', value: 'checkout' },
        { name: 'ünïcode-label', op: '!=', value: 'x' },
      ],
    });
  });

  test('a quoted name alone inside braces is the metric name', () => {
    assert.deepEqual(parsed('{"http.server.request.duration", job="api"}'), {
      metric: 'http.server.request.duration',
      matchers: [{ name: 'job', op: '=', value: 'api' }],
    });
  });

  test('__name__="x" is the metric name', () => {
    assert.deepEqual(parsed('{__name__="up", job="node"}'), {
      metric: 'up',
      matchers: [{ name: 'job', op: '=', value: 'node' }],
    });
  });

  test('a trailing comma inside the braces is accepted, as in PromQL', () => {
    assert.deepEqual(parsed('up{job="a",}').matchers, [{ name: 'job', op: '=', value: 'a' }]);
  });

  test('a selector of matchers only needs one that does not match the empty string', () => {
    assert.deepEqual(parsed('{job!=""}').matchers, [{ name: 'job', op: '!=', value: '' }]);
    for (const text of ['{job=""}', '{job=~".*"}', '{job!~"x"}', '{}', ''])
      assert.equal(failure(text).offset, 0, text);
  });
});

describe('selector errors are located', () => {
  test('an invalid regex is reported at its opening quote', () => {
    // `up{job=~` is 8 characters, so the quote that opens the regex is at offset 8.
    const error = failure('up{job=~"(a"}');
    assert.equal(error.offset, 8);
    assert.match(error.message, /label "job" has an invalid regular expression/);
  });

  test('an unquoted value is reported where the quote should be', () => {
    // `up{job=` is 7 characters.
    assert.deepEqual(failure('up{job=api}'), { message: 'expected a quoted string', offset: 7 });
  });

  test('an unterminated string is reported at its opening quote', () => {
    assert.equal(failure('up{job="api}').offset, 7);
  });

  test('a missing closing brace is reported at the end', () => {
    const text = 'up{job="api"';
    const error = failure(text);
    assert.equal(error.offset, text.length);
    assert.match(error.message, /unclosed "\{"/);
  });

  test('a missing operator names the label', () => {
    assert.match(failure('up{job "api"}').message, /expected one of =, !=, =~, !~ after label "job"/);
  });

  test('a full PromQL expression is turned away at its first extra character', () => {
    // `rate(` stops the metric name `rate` at offset 4.
    const error = failure('rate(http_requests_total[5m])');
    assert.equal(error.offset, 4);
    assert.match(error.message, /use a promql source/);
  });

  test('a metric named twice is rejected, as Prometheus rejects it', () => {
    for (const text of ['up{__name__="x"}', '{"up", "down"}', 'up{__name__=~"x"}']) failure(text);
  });
});

// ---------------------------------------------------------------------------------------
// Properties

/** Any text, control characters included: formatSelector's escapes are Go escapes parseSelector reads. */
const text = fc.string({ unit: 'grapheme', maxLength: 12 });
const metricName = fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,20}$/);
const plainLabel = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,15}$/);

function isRegex(pattern: string): boolean {
  try {
    new RegExp(`^(?:${pattern})$`, 'u');
    return true;
  } catch {
    return false;
  }
}

const regex = fc.oneof(
  fc.constantFrom('5..', '.*', '.+', 'a|b', '(GET|HEAD)', '[0-9]{3}', '\\d+', '', 'x?', '\\.'),
  text.filter(isRegex),
);

const matcher: fc.Arbitrary<LabelMatcher> = fc
  .record({
    name: fc.oneof(plainLabel, text),
    op: fc.constantFrom<MatchOp>('=', '!=', '=~', '!~'),
    equality: text,
    pattern: regex,
  })
  // `__name__="x"` is the metric name, not a matcher, so it cannot round-trip as one.
  .filter((m) => !(m.name === '__name__' && m.op === '='))
  .map(({ name, op, equality, pattern }) => ({
    name,
    op,
    value: op === '=' || op === '!=' ? equality : pattern,
  }));

function matchesEmpty(m: LabelMatcher): boolean {
  if (m.op === '=') return m.value === '';
  if (m.op === '!=') return m.value !== '';
  const matches = new RegExp(`^(?:${m.value})$`, 'u').test('');
  return m.op === '=~' ? matches : !matches;
}

/** Selectors PromQL accepts: a metric name, or a matcher that excludes the empty string. */
const selector: fc.Arbitrary<SeriesSelector> = fc
  .record({
    metric: fc.option(metricName, { nil: undefined }),
    matchers: fc.array(matcher, { maxLength: 5 }),
  })
  .filter((s) => s.metric !== undefined || s.matchers.some((m) => !matchesEmpty(m)))
  .map(({ metric, matchers }) => (metric === undefined ? { matchers } : { metric, matchers }));

/** Strings made of selector syntax, so that random input gets past the first character. */
const selectorish = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        'up',
        'job',
        '__name__',
        '{',
        '}',
        '=',
        '!=',
        '=~',
        '!~',
        '!',
        '~',
        ',',
        ' ',
        '"',
        "'",
        '`',
      ),
      fc.constantFrom('\\', '\\"', '\\n', '(', ')', '.*', '[', '|', 'é', '\u{1F600}', '\t', '\n', '5..', ':'),
    ),
    { maxLength: 30 },
  )
  .map((parts) => parts.join(''));

describe('selector properties', () => {
  test('formatting then parsing gives the selector back', () => {
    fc.assert(
      fc.property(selector, (s) => {
        assert.deepEqual(parseSelector(formatSelector(s)), { ok: true, value: s });
      }),
      fuzzParameters(1000),
    );
  });

  test('whatever parses, formats to text that parses to the same selector', () => {
    fc.assert(
      fc.property(selectorish, (input) => {
        const first = parseSelector(input);
        fc.pre(first.ok);
        if (!first.ok) return;
        assert.deepEqual(parseSelector(formatSelector(first.value)), first);
      }),
      fuzzParameters(2000),
    );
  });

  test('random text never throws, and a failure points inside the text', () => {
    fc.assert(
      fc.property(fc.oneof(selectorish, fc.string({ unit: 'binary', maxLength: 60 })), (input) => {
        const result = parseSelector(input);
        if (result.ok) return;
        assert.equal(result.issues.length, 1);
        const [{ message, offset }] = result.issues as [{ message: string; offset: number }];
        assert.ok(message.length > 0);
        assert.ok(Number.isInteger(offset) && offset >= 0 && offset <= input.length, `offset ${offset}`);
      }),
      fuzzParameters(3000),
    );
  });

  test('control characters in values survive formatting and parsing', () => {
    const s: SeriesSelector = {
      metric: 'up',
      matchers: [{ name: 'job', op: '=', value: 'a\u0001b\bc\fd' }],
    };
    assert.deepEqual(parseSelector(formatSelector(s)), { ok: true, value: s });
  });
});
