import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fuzzParameters } from '../../test/support/fuzz.ts';
import { canonicalChecksum, canonicalJson, resolveRecords } from './converge.ts';
import type { SyncRecord } from './protocol.ts';

function counts(seq: number, startMinute: number, minutes: number, good: number, total: number): SyncRecord {
  return { kind: 'counts', seq, sli: 'web/avail', labels: {}, startMinute, minutes, good, total };
}

describe('resolveRecords', () => {
  it('keeps the highest version of each record', () => {
    const resolved = resolveRecords([counts(3, 0, 5, 1, 2), counts(5, 0, 5, 4, 4), counts(4, 0, 5, 3, 3)]);
    assert.deepEqual(resolved, [counts(5, 0, 5, 4, 4)]);
  });

  it('lets a rolled-up hour replace the older finer records inside it', () => {
    const resolved = resolveRecords([counts(1, 0, 5, 1, 1), counts(2, 5, 5, 2, 2), counts(9, 0, 60, 30, 31)]);
    assert.deepEqual(resolved, [counts(9, 0, 60, 30, 31)]);
  });

  it('keeps finer records outside the hour', () => {
    const resolved = resolveRecords([counts(9, 0, 60, 30, 31), counts(10, 60, 5, 1, 1)]);
    assert.equal(resolved.length, 2);
  });

  it('gives the same state whatever the order and duplication of arrivals', () => {
    const record = fc
      .tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 23 }), fc.boolean(), fc.nat(10))
      .map(([seq, slot, hour, good]) =>
        hour
          ? counts(seq, Math.floor(slot / 12) * 60, 60, good, good + 1)
          : counts(seq, slot * 5, 5, good, good),
      );
    fc.assert(
      fc.property(fc.array(record, { maxLength: 30 }), fc.integer(), (records, seed) => {
        // Versions are unique per unit: keep the first record of each seq.
        const unique = [...new Map(records.map((r) => [r.seq, r])).values()];
        const shuffled = [...unique, ...unique.slice(0, seed % (unique.length + 1))];
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = Math.abs(seed * (i + 7)) % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j] as SyncRecord, shuffled[i] as SyncRecord];
        }
        assert.equal(canonicalChecksum(resolveRecords(shuffled)), canonicalChecksum(resolveRecords(unique)));
      }),
      fuzzParameters(300),
    );
  });
});

describe('canonicalChecksum', () => {
  it('ignores versions and key order', () => {
    const a = { kind: 'alert', seq: 1, slo: 'web/a', alert: 'page-1h', state: 'firing', sinceMs: 5 } as const;
    const b = {
      sinceMs: 5,
      state: 'firing',
      alert: 'page-1h',
      slo: 'web/a',
      kind: 'alert',
      seq: 99,
    } as const;
    assert.equal(canonicalChecksum([a]), canonicalChecksum([b]));
  });

  it('differs when a value differs', () => {
    assert.notEqual(canonicalChecksum([counts(1, 0, 5, 1, 2)]), canonicalChecksum([counts(1, 0, 5, 1, 3)]));
  });

  it('writes canonical JSON with sorted keys and no undefined fields', () => {
    assert.equal(canonicalJson({ b: 1, a: [1, { d: undefined, c: 'x' }] }), '{"a":[1,{"c":"x"}],"b":1}');
  });
});
