import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SyncRecord } from '../sync/index.ts';
import {
  EXPORT_EVERYTHING,
  exportPolicyOf,
  exportPolicySchema,
  exportView,
  reduceLabels,
} from './export-policy.ts';

const ALERT: SyncRecord = {
  kind: 'alert',
  seq: 3,
  slo: 'api/availability',
  alert: 'page-1h',
  state: 'firing',
  sinceMs: 0,
  severity: 'page',
  summary: 'api/availability: page-1h (page) firing',
};

describe('the export policy', () => {
  test('by default every kind, field and label leaves the unit', () => {
    const policy = exportPolicyOf(exportPolicySchema().parse(undefined));
    assert.deepEqual(policy, EXPORT_EVERYTHING);
    assert.equal(exportView(policy, ALERT), ALERT);
    assert.deepEqual(reduceLabels(policy.labels, { pod: 'a', code: '200' }), { code: '200', pod: 'a' });
  });

  test('dropped or kept labels reduce a label set, names sorted', () => {
    assert.deepEqual(
      reduceLabels({ mode: 'drop', names: ['pod'] }, { pod: 'a', region: 'eu', code: '5xx' }),
      {
        code: '5xx',
        region: 'eu',
      },
    );
    assert.deepEqual(reduceLabels({ mode: 'keep', names: ['region'] }, { pod: 'a', region: 'eu' }), {
      region: 'eu',
    });
    assert.deepEqual(reduceLabels({ mode: 'keep', names: [] }, { pod: 'a' }), {});
  });

  test('an excluded kind has no view; dropped fields are removed from a copy', () => {
    const policy = exportPolicyOf(
      exportPolicySchema().parse({ kinds: ['counts', 'alert'], dropFields: ['alert.summary'] }),
    );
    assert.equal(exportView(policy, { kind: 'catalog', seq: 1, version: 'v', source: 'local' }), undefined);
    const view = exportView(policy, ALERT);
    assert.ok(view?.kind === 'alert');
    assert.equal('summary' in view, false);
    assert.equal(view.severity, 'page');
    assert.equal(ALERT.summary, 'api/availability: page-1h (page) firing');
  });

  test('dropLabels and keepLabels together are refused', () => {
    const parsed = exportPolicySchema().safeParse({ counts: { dropLabels: ['a'], keepLabels: ['b'] } });
    assert.ok(!parsed.success);
    assert.match(parsed.error.issues[0]!.message, /not both/);
  });
});
