import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { countSource, exportQuery, gaugeSource } from './promql.ts';

describe('counting PromQL from OpenSLO', () => {
  test('rate over 5m becomes increase over $window, because Sextant needs counts', () => {
    const converted = countSource('sum(rate(http_requests_total{job="web",code!~"5.."}[5m]))', true);
    assert.equal(converted.ok, true);
    assert.deepEqual(converted.source, {
      promql: 'sum(increase(http_requests_total{job="web",code!~"5.."}[$window]))',
    });
  });

  test('brackets inside label regexes are not ranges', () => {
    const converted = countSource('sum(increase(http_requests_total{code=~"[45].."}[1h]))', true);
    assert.deepEqual(converted.source, {
      promql: 'sum(increase(http_requests_total{code=~"[45].."}[$window]))',
    });
  });

  test("Sloth's {{.window}} placeholder becomes $window", () => {
    const converted = countSource('sum(sum_over_time(ok_total[{{.window}}]))', true);
    assert.deepEqual(converted.source, { promql: 'sum(sum_over_time(ok_total[$window]))' });
  });

  test('a bare series selector of a counter stays a Sextant selector', () => {
    assert.deepEqual(countSource('checkout_requests_total{code=~"5.."}', true), {
      ok: true,
      source: { selector: 'checkout_requests_total{code=~"5.."}' },
    });
  });

  test('a summed raw counter, as in the spec example, is counted with increase over $window', () => {
    const converted = countSource('sum(localhost_server_requests{code=~"2xx|3xx",host="*"})', true);
    assert.deepEqual(converted.source, {
      promql: 'sum(increase(localhost_server_requests{code=~"2xx|3xx",host="*"}[$window]))',
    });
    assert.deepEqual(countSource('sum by (job) (x_total)', true).source, {
      promql: 'sum by (job) (increase(x_total[$window]))',
    });
  });

  test('irate cannot count a window: kept as written, with the reason', () => {
    const converted = countSource('sum(irate(x_total[1m]))', true);
    assert.equal(converted.ok, false);
    assert.deepEqual(converted.source, { promql: 'sum(irate(x_total[1m]))' });
    assert.match(converted.ok ? '' : converted.reason, /irate\(\) looks at the last two samples/);
  });

  test('a gauge that counter: false marks cannot give counts', () => {
    assert.equal(countSource('sum(queue_items)', false).ok, false);
  });

  test('an expression already using $window is left alone', () => {
    assert.deepEqual(countSource('sum(increase(x[$window]))', true).source, {
      promql: 'sum(increase(x[$window]))',
    });
  });
});

describe('gauge PromQL from OpenSLO', () => {
  test('ranges become $window and rate stays a rate for a gauge', () => {
    assert.deepEqual(gaugeSource('sum(rate(cpu_seconds_total[5m]))', '<').source, {
      promql: 'sum(rate(cpu_seconds_total[$window]))',
    });
  });

  test('an instant expression is judged by its worst value in the window: the max for an upper bound', () => {
    assert.deepEqual(gaugeSource('sum(queue_depth)', '<=').source, {
      promql: 'max_over_time((sum(queue_depth))[$window:])',
    });
    assert.deepEqual(gaugeSource('sum(free_bytes)', '>').source, {
      promql: 'min_over_time((sum(free_bytes))[$window:])',
    });
  });
});

describe('PromQL to OpenSLO', () => {
  test('$window is exported as a 5m range and a selector as itself', () => {
    assert.equal(
      exportQuery({ kind: 'promql', expression: 'sum(increase(x[$window]))' }),
      'sum(increase(x[5m]))',
    );
    assert.equal(
      exportQuery({ kind: 'selector', text: 'x{job="a"}', selector: { metric: 'x', matchers: [] } }),
      'x{job="a"}',
    );
  });

  test('any counting expression over [$window] survives export and import unchanged', () => {
    const metric = fc.stringMatching(/^[a-z_][a-z0-9_]{0,20}$/);
    const label = fc.record({
      name: fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/),
      value: fc.stringMatching(/^[a-z0-9.[\]|-]{0,8}$/),
    });
    const expression = fc
      .record({
        metric,
        labels: fc.array(label, { maxLength: 3 }),
        by: fc.option(fc.constantFrom('job', 'region')),
      })
      .map(({ metric: m, labels, by }) => {
        const matchers = labels.map((l) => `${l.name}=~"${l.value}"`).join(',');
        return `sum${by ? ` by (${by})` : ''}(increase(${m}{${matchers}}[$window]))`;
      });
    fc.assert(
      fc.property(expression, (text) => {
        const back = countSource(exportQuery({ kind: 'promql', expression: text }), true);
        assert.deepEqual(back.source, { promql: text });
      }),
    );
  });
});
