import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileSelector, parseSelector, type SeriesSelector } from '../catalog/index.ts';
import { type LabelProblem, regexExamples, solveLabels } from './labels.ts';

function selector(text: string): SeriesSelector {
  const parsed = parseSelector(text);
  assert.ok(parsed.ok, text);
  return parsed.value;
}

function problem(
  parts: Partial<Record<'require' | 'forbid' | 'avoid', string[]>>,
  extraLabels: string[] = [],
): LabelProblem {
  const conditions = (texts: string[] = []) =>
    texts.map((text) => {
      const s = selector(text);
      return { selector: s, name: s.metric ?? 'x_total' };
    });
  return {
    require: conditions(parts.require),
    forbid: conditions(parts.forbid),
    avoid: conditions(parts.avoid),
    extraLabels,
  };
}

const matches = (text: string, labels: Record<string, string>) =>
  compileSelector(selector(text))({ ...labels, __name__: selector(text).metric ?? 'x_total' });

describe('regexExamples', () => {
  test('a top-level alternation gives each alternative', () => {
    assert.deepEqual(regexExamples('Unknown|Internal|DataLoss'), ['Unknown', 'Internal', 'DataLoss']);
  });

  test('groups are expanded in place', () => {
    assert.deepEqual(regexExamples('git_(receive|upload)_pack'), ['git_receive_pack', 'git_upload_pack']);
  });

  test('a dot becomes a digit, so status patterns give a status', () => {
    assert.deepEqual(regexExamples('5..'), ['500']);
  });

  test('optional parts are tried with and without, classes give their first member', () => {
    assert.deepEqual(regexExamples('(?:foo|bar)?[a-z]+'), ['fooa', 'bara', 'a']);
  });
});

describe('solveLabels', () => {
  test('a good series matches total and not the bad selector', () => {
    const solution = solveLabels(
      problem({ require: ['x_total{job="api"}'], forbid: ['x_total{job="api",code=~"5.."}'] }),
    );
    assert.ok(solution);
    assert.deepEqual(solution.labels, { code: '200', job: 'api' });
  });

  test('a bad series matches the bad selector with a value taken from its regex', () => {
    const solution = solveLabels(
      problem({ require: ['x_total{job="api"}', 'x_total{grpc_code=~"Unavailable|Internal"}'] }),
    );
    assert.deepEqual(solution?.labels, { grpc_code: 'Unavailable', job: 'api' });
  });

  test('a negative regex in the good selector is satisfied by a value in the same style', () => {
    const good = solveLabels(problem({ require: ['x_total{job="api"}', 'x_total{status!~"5.."}'] }));
    const bad = solveLabels(problem({ require: ['x_total{job="api"}'], forbid: ['x_total{status!~"5.."}'] }));
    assert.deepEqual(good?.labels, { job: 'api', status: '200' });
    assert.deepEqual(bad?.labels, { job: 'api', status: '500' });
  });

  test("another SLI's selector is avoided when a label value allows it", () => {
    const solution = solveLabels(
      problem({ require: ['x_total{job="w"}'], avoid: ['x_total{job="w",route=~"git_.*"}'] }, ['route']),
    );
    assert.ok(solution?.avoided);
    assert.ok(!matches('x_total{job="w",route=~"git_.*"}', solution.labels));
    assert.notEqual(solution.labels['route'], undefined);
  });

  test('a superset selector that cannot be avoided is given up, not the series', () => {
    const solution = solveLabels(
      problem({ require: ['x_total{job="w",worker="a"}'], avoid: ['x_total{job="w"}'] }),
    );
    assert.equal(solution?.avoided, false);
    assert.deepEqual(solution?.labels, { job: 'w', worker: 'a' });
  });

  test('contradictory selectors have no solution', () => {
    assert.equal(solveLabels(problem({ require: ['x_total{job="a"}', 'x_total{job="b"}'] })), undefined);
    assert.equal(
      solveLabels(problem({ require: ['x_total{job="a"}'], forbid: ['x_total{job=~"a|b"}'] })),
      undefined,
    );
  });

  test('a required selector on another metric has no solution', () => {
    const p = problem({ require: ['x_total{job="a"}'] });
    p.require.push({ selector: selector('y_total'), name: 'x_total' });
    assert.equal(solveLabels(p), undefined);
  });
});
