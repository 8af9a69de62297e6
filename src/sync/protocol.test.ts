import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isCompatibleProtocol,
  parseProtocolVersion,
  recordKey,
  SYNC_PROTOCOL_VERSION,
  syncSchemas,
} from './protocol.ts';

const counts = {
  kind: 'counts',
  seq: 7,
  sli: 'checkout/availability',
  labels: { route: '/pay', code: '2xx' },
  startMinute: 29_000_000,
  minutes: 5,
  good: 99,
  total: 100,
} as const;

describe('sync protocol', () => {
  it('speaks version 1.0', () => {
    assert.equal(SYNC_PROTOCOL_VERSION, '1.0');
  });

  it('works with a peer one minor version apart and refuses another major', () => {
    assert.equal(isCompatibleProtocol('1.1'), true);
    assert.equal(isCompatibleProtocol('1.0'), true);
    assert.equal(isCompatibleProtocol('2.0'), false);
    assert.equal(isCompatibleProtocol('1'), false);
    assert.equal(isCompatibleProtocol(''), false);
  });

  it('parses major.minor and nothing else', () => {
    assert.deepEqual(parseProtocolVersion(' 1.12 '), { major: 1, minor: 12 });
    assert.equal(parseProtocolVersion('1.0.0'), undefined);
    assert.equal(parseProtocolVersion('v1.0'), undefined);
  });

  it('accepts a valid counts record', () => {
    assert.equal(syncSchemas().syncRecord.safeParse(counts).success, true);
  });

  it('refuses negative counts, fractional sequence numbers and unknown fields, saying where', () => {
    const bad = syncSchemas().syncRecord.safeParse({ ...counts, good: -1 });
    assert.equal(bad.success, false);
    assert.deepEqual(bad.error?.issues[0]?.path, ['good']);
    assert.equal(syncSchemas().syncRecord.safeParse({ ...counts, seq: 1.5 }).success, false);
    assert.equal(syncSchemas().syncRecord.safeParse({ ...counts, extra: 1 }).success, false);
    assert.equal(syncSchemas().syncRecord.safeParse({ ...counts, minutes: 61 }).success, false);
  });

  it('lets a push carry record kinds it does not know (a newer minor version)', () => {
    const parsed = syncSchemas().pushRequest.safeParse({
      protocol: '1.1',
      unit: 'cell-1',
      afterSeq: 0,
      throughSeq: 2,
      sentAtMs: 0,
      records: [counts, { kind: 'incident', seq: 2, title: 'x' }],
    });
    assert.equal(parsed.success, true);
  });

  it('names a counts record by series and start, whatever the label order', () => {
    const reordered = { ...counts, labels: { code: '2xx', route: '/pay' }, seq: 9, good: 1 };
    assert.equal(recordKey(counts), recordKey(reordered));
    assert.notEqual(recordKey(counts), recordKey({ ...counts, startMinute: counts.startMinute + 5 }));
  });

  it('cannot be fooled by separators inside label values', () => {
    const a = { ...counts, labels: { a: 'x","b' } };
    const b = { ...counts, labels: { a: 'x', b: '' } };
    assert.notEqual(recordKey(a), recordKey(b));
  });
});
