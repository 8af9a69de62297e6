import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PushAdmission } from './admission.ts';

describe('push admission', () => {
  test('beyond concurrent plus queued pushes, a push is refused with a 1-5 s Retry-After', () => {
    const admission = new PushAdmission({
      maxConcurrent: 1,
      maxQueued: 1,
      queueTimeoutMs: 1000,
      random: () => 0.99,
    });
    assert.ok(admission.admit().ok);
    assert.ok(admission.admit().ok);
    const third = admission.admit();
    assert.ok(!third.ok);
    assert.equal(third.reason, 'full');
    assert.equal(third.retryAfterSeconds, 5);
    assert.equal(
      new PushAdmission({
        maxConcurrent: 1,
        maxQueued: 0,
        queueTimeoutMs: 1,
        random: () => 0,
      }).retryAfterSeconds(),
      1,
    );
  });

  test('slots go to waiting pushes in arrival order', async () => {
    const admission = new PushAdmission({ maxConcurrent: 1, maxQueued: 2, queueTimeoutMs: 10_000 });
    const tickets = [admission.admit(), admission.admit(), admission.admit()].map((a) => {
      assert.ok(a.ok);
      return a.ticket;
    });
    const order: number[] = [];
    assert.equal(await tickets[0]!.waitForSlot(), true);
    const second = tickets[1]!.waitForSlot().then((granted) => order.push(2) && granted);
    const third = tickets[2]!.waitForSlot().then((granted) => order.push(3) && granted);
    assert.equal(admission.applying, 1);
    assert.equal(admission.waiting, 2);
    tickets[0]!.release();
    assert.equal(await second, true);
    tickets[1]!.release();
    assert.equal(await third, true);
    tickets[2]!.release();
    assert.deepEqual(order, [2, 3]);
    assert.equal(admission.inFlight, 0);
    assert.equal(admission.applying, 0);
  });

  test('a push that waits longer than the queue timeout gets no slot', async () => {
    const admission = new PushAdmission({ maxConcurrent: 1, maxQueued: 1, queueTimeoutMs: 10 });
    const first = admission.admit();
    const second = admission.admit();
    assert.ok(first.ok && second.ok);
    await first.ticket.waitForSlot();
    assert.equal(await second.ticket.waitForSlot(), false);
    second.ticket.release();
    first.ticket.release();
    assert.equal(admission.applying, 0);
  });

  test('draining refuses new and waiting pushes and waits for the applying one', async () => {
    const admission = new PushAdmission({ maxConcurrent: 1, maxQueued: 1, queueTimeoutMs: 10_000 });
    const first = admission.admit();
    const second = admission.admit();
    assert.ok(first.ok && second.ok);
    await first.ticket.waitForSlot();
    const waiting = second.ticket.waitForSlot();
    let drained = false;
    const drain = admission.drain().then(() => {
      drained = true;
    });
    assert.equal(await waiting, false);
    second.ticket.release();
    const refused = admission.admit();
    assert.ok(!refused.ok);
    assert.equal(refused.reason, 'closing');
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(drained, false);
    first.ticket.release();
    await drain;
    assert.equal(drained, true);
  });
});
