/**
 * The faulty proxy does what the convergence tests rely on: each fault reaches (or does not
 * reach) the target exactly as described, the plan is a function of the seed, and heal,
 * cut and restore switch the network as promised.
 */

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type FaultRates, type FaultyProxy, type Outcome, startFaultyProxy } from './faulty-proxy.ts';

/** What the target saw: complete requests by body, and requests cut short. */
interface TargetLog {
  complete: { method: string; path: string; body: string; header: string | undefined }[];
  cut: number;
}

async function startTarget(): Promise<{ url: string; log: TargetLog; server: Server }> {
  const log: TargetLog = { complete: [], cut: 0 };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      log.complete.push({
        method: request.method ?? '',
        path: request.url ?? '',
        body,
        header: request.headers['x-probe'] as string | undefined,
      });
      response.writeHead(201, { 'content-type': 'text/plain', 'x-answer': 'yes' });
      response.end(`echo:${body}`);
    });
    request.on('close', () => {
      if (!request.complete) log.cut += 1;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return { url: `http://127.0.0.1:${address.port}`, log, server };
}

/** POSTs `body`; gives the status and text, or `error` when the connection failed. */
async function post(url: string, body: string): Promise<{ status: number; text: string } | 'error'> {
  try {
    const response = await fetch(`${url}/api/v1/sync/push?x=1`, {
      method: 'POST',
      body,
      headers: { 'x-probe': 'p', 'content-type': 'text/plain' },
      signal: AbortSignal.timeout(5_000),
    });
    return { status: response.status, text: await response.text() };
  } catch {
    return 'error';
  }
}

describe('faulty proxy', () => {
  let target: Awaited<ReturnType<typeof startTarget>>;
  const proxies: FaultyProxy[] = [];
  const proxy = async (faults: FaultRates, seed = 1) => {
    const started = await startFaultyProxy({
      target: target.url,
      seed,
      faults,
      delayMs: { min: 150, max: 200 },
    });
    proxies.push(started);
    return started;
  };
  before(async () => {
    target = await startTarget();
  });
  after(async () => {
    await Promise.all(proxies.map((p) => p.close()));
    target.server.closeAllConnections();
    await new Promise<void>((resolve) => target.server.close(() => resolve()));
  });
  const reset = () => {
    target.log.complete.length = 0;
    target.log.cut = 0;
  };

  test('a passing request reaches the target with its method, path, headers and body, and the answer returns', async () => {
    reset();
    const p = await proxy({});
    const got = await post(p.url, 'hello');
    assert.deepEqual(got, { status: 201, text: 'echo:hello' });
    assert.deepEqual(target.log.complete, [
      { method: 'POST', path: '/api/v1/sync/push?x=1', body: 'hello', header: 'p' },
    ]);
    assert.equal(p.stats.pass, 1);
    assert.deepEqual(p.stats.statuses, { 201: 1 });
  });

  test('a dropped request never reaches the target and the sender sees a connection error', async () => {
    reset();
    const p = await proxy({ drop: 1 });
    assert.equal(await post(p.url, 'lost'), 'error');
    await p.settled();
    assert.equal(target.log.complete.length, 0);
    assert.equal(p.stats.drop, 1);
  });

  test('a dropped response was applied once at the target but the sender sees a connection error', async () => {
    reset();
    const p = await proxy({ dropResponse: 1 });
    assert.equal(await post(p.url, 'applied'), 'error');
    await p.settled();
    assert.deepEqual(
      target.log.complete.map((r) => r.body),
      ['applied'],
    );
  });

  test('a duplicated request reaches the target twice and the sender gets one answer', async () => {
    reset();
    const p = await proxy({ duplicate: 1 });
    assert.deepEqual(await post(p.url, 'twice'), { status: 201, text: 'echo:twice' });
    await p.settled();
    assert.deepEqual(
      target.log.complete.map((r) => r.body),
      ['twice', 'twice'],
    );
  });

  test('a delayed request is overtaken by a later one and still arrives after its sender gave up', async () => {
    reset();
    const p = await proxy({ delay: 1 });
    // The first sender gives up at once; its request is held 150-200 ms, then forwarded.
    const first = fetch(`${p.url}/first`, { method: 'POST', body: 'first', signal: AbortSignal.timeout(30) });
    await assert.rejects(first);
    p.heal();
    assert.deepEqual(await post(p.url, 'second'), { status: 201, text: 'echo:second' });
    await p.settled();
    assert.deepEqual(
      target.log.complete.map((r) => r.body),
      ['second', 'first'],
    );
    assert.equal(p.stats.stale, 1);
  });

  test('a request cut mid-body never reaches the target whole', async () => {
    reset();
    const p = await proxy({ cutBody: 1 });
    assert.equal(await post(p.url, 'x'.repeat(64 * 1024)), 'error');
    await p.settled();
    await sleep(50);
    assert.equal(target.log.complete.length, 0);
    assert.equal(target.log.cut, 1);
  });

  test('cut() refuses every connection, restore() lets requests pass again, and heal() ends the faults', async () => {
    reset();
    const p = await proxy({ drop: 1 });
    p.cut();
    assert.equal(await post(p.url, 'offline'), 'error');
    assert.ok(p.stats.refused >= 1);
    p.restore();
    assert.equal(await post(p.url, 'still dropped'), 'error');
    p.heal();
    assert.deepEqual(await post(p.url, 'healed'), { status: 201, text: 'echo:healed' });
    await p.settled();
    assert.deepEqual(
      target.log.complete.map((r) => r.body),
      ['healed'],
    );
  });

  test('a new target takes effect for the next request', async () => {
    reset();
    const other = await startTarget();
    try {
      const p = await proxy({}, 3);
      p.setTarget(other.url);
      assert.deepEqual(await post(p.url, 'moved'), { status: 201, text: 'echo:moved' });
      assert.equal(target.log.complete.length, 0);
      assert.equal(other.log.complete.length, 1);
    } finally {
      other.server.closeAllConnections();
      await new Promise<void>((resolve) => other.server.close(() => resolve()));
    }
  });

  test('the same seed gives the same faults in the same order, in about the configured proportions', async () => {
    const faults = { drop: 0.2, dropResponse: 0.1, duplicate: 0.1, delay: 0.1, cutBody: 0.1 };
    const plan = async (seed: number): Promise<Outcome[]> => {
      const outcomes: Outcome[] = [];
      const p = await startFaultyProxy({
        target: target.url,
        seed,
        faults,
        delayMs: { min: 0, max: 5 },
        observe: (request) => outcomes.push(request.outcome),
      });
      proxies.push(p);
      for (let i = 0; i < 200; i++) await post(p.url, `r${i}`);
      await p.settled();
      return outcomes;
    };
    const a = await plan(42);
    const b = await plan(42);
    const c = await plan(43);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    // 200 draws at p = 0.4 pass: the mean is 80, the standard deviation 6.9; 50..110 is > 4 sigma.
    const passes = a.filter((outcome) => outcome === 'pass').length;
    assert.ok(passes > 50 && passes < 110, `${passes} passes`);
    for (const kind of ['drop', 'dropResponse', 'duplicate', 'delay', 'cutBody'] as const) {
      assert.ok(a.includes(kind), `no ${kind} in 200 requests`);
    }
  });

  test('fault rates outside 0..1 or summing to more than 1 are refused', async () => {
    await assert.rejects(
      startFaultyProxy({ target: target.url, seed: 1, faults: { drop: 1.5 } }),
      /within 0\.\.1/,
    );
    await assert.rejects(
      startFaultyProxy({ target: target.url, seed: 1, faults: { drop: 0.6, delay: 0.6 } }),
      /more than 1/,
    );
  });
});
