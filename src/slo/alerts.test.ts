import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type AlertCondition, type AlertState, stepAlerts } from './alerts.ts';

const MIN = 60_000;
const T0 = Date.parse('2026-05-01T12:00:00Z');
const page = (active: boolean, forMinutes = 2): AlertCondition => ({
  name: 'page-1h',
  severity: 'page',
  active,
  forMinutes,
});

/** Runs a sequence of one-minute evaluations and collects the transitions as "from>to@minute". */
function run(
  steps: readonly boolean[],
  forMinutes = 2,
  initial?: AlertState,
): { log: string[]; state: AlertState } {
  let state = initial;
  const log: string[] = [];
  steps.forEach((active, i) => {
    const r = stepAlerts(state, [page(active, forMinutes)], T0 + i * MIN);
    for (const t of r.transitions) log.push(`${t.from}>${t.to}@${(t.atMs - T0) / MIN}`);
    state = r.state;
  });
  return { log, state: state! };
}

describe('alert state machine', () => {
  test('a condition held for its for-duration goes pending, then firing', () => {
    // for 2m: pending at minute 0, still pending at 1, firing at 2.
    assert.deepEqual(run([true, true, true, true]).log, ['inactive>pending@0', 'pending>firing@2']);
  });

  test('a condition that clears while pending never fires', () => {
    assert.deepEqual(run([true, false, true]).log, [
      'inactive>pending@0',
      'pending>inactive@1',
      'inactive>pending@2',
    ]);
  });

  test('a firing alert resolves when the condition clears, then returns to inactive', () => {
    assert.deepEqual(run([true, true, true, false, false]).log, [
      'inactive>pending@0',
      'pending>firing@2',
      'firing>resolved@3',
      'resolved>inactive@4',
    ]);
  });

  test('a resolved alert whose condition returns goes through pending again', () => {
    assert.deepEqual(run([true, true, true, false, true]).log, [
      'inactive>pending@0',
      'pending>firing@2',
      'firing>resolved@3',
      'resolved>pending@4',
    ]);
  });

  test('for: 0 fires on the first true evaluation', () => {
    assert.deepEqual(run([true], 0).log, ['inactive>firing@0']);
  });

  test('a restart with persisted state does not re-fire', () => {
    const before = run([true, true, true]);
    const persisted = JSON.parse(JSON.stringify(before.state)) as AlertState;
    const after = stepAlerts(persisted, [page(true)], T0 + 3 * MIN);
    assert.deepEqual(after.transitions, []);
    assert.equal(after.state.alerts[0]!.phase, 'firing');
    assert.equal(after.state.alerts[0]!.sinceMs, T0 + 2 * MIN);
  });

  test('replaying an evaluation at the same or an earlier instant changes nothing', () => {
    const { state } = run([true, true, true]);
    for (const at of [T0 + 2 * MIN, T0]) {
      const r = stepAlerts(state, [page(false)], at);
      assert.deepEqual(r.transitions, []);
      assert.equal(r.state, state);
    }
  });

  test('pending time counts from when the condition became true, across sparse evaluations', () => {
    const first = stepAlerts(undefined, [page(true, 15)], T0);
    const late = stepAlerts(first.state, [page(true, 15)], T0 + 20 * MIN);
    assert.deepEqual(
      late.transitions.map((t) => [t.from, t.to, t.atMs]),
      [['pending', 'firing', T0 + 20 * MIN]],
    );
  });

  test('an alert removed from the conditions resolves if it was firing', () => {
    const { state } = run([true], 0);
    const r = stepAlerts(state, [], T0 + MIN);
    assert.deepEqual(
      r.transitions.map((t) => [t.name, t.from, t.to]),
      [['page-1h', 'firing', 'resolved']],
    );
    assert.deepEqual(r.state.alerts, []);
  });

  test('alerts of one SLO move independently', () => {
    const r = stepAlerts(
      undefined,
      [page(true, 0), { name: 'ticket-1d', severity: 'ticket', active: false, forMinutes: 60 }],
      T0,
    );
    assert.deepEqual(
      r.state.alerts.map((a) => [a.name, a.phase]),
      [
        ['page-1h', 'firing'],
        ['ticket-1d', 'inactive'],
      ],
    );
  });
});
