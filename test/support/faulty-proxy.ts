/**
 * A faulty network between units and the hub, for convergence tests: an HTTP reverse proxy
 * on a free loopback port that forwards to a target URL and, per request, follows a seeded
 * fault plan. The faults are the ones replication must survive (docs/hub.md, "Replication"):
 *
 * - `drop`: the connection is reset before anything reaches the target (no response);
 * - `dropResponse`: the request reaches the target and is applied, then the connection is
 *   reset before the answer returns (applied but not acknowledged);
 * - `duplicate`: the request is forwarded twice, the second copy after a random delay, so
 *   it can arrive after later requests (a replay from the past);
 * - `delay`: the request is held for a while and then forwarded even if the sender gave up
 *   meanwhile, so later requests overtake it (reordering);
 * - `cutBody`: only a prefix of the body is forwarded, then the upstream connection is
 *   destroyed (a batch cut mid-transfer), and the sender's connection is reset;
 * - `pass`: forwarded unchanged.
 *
 * `heal()` turns the faults off, `cut()` refuses every connection (the unit is offline) and
 * `settled()` waits for delayed and duplicated copies still in flight, so a test can heal,
 * drain, and only then compare states.
 */

import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';

/** The faults the proxy can apply to a request, besides passing it. */
export const FAULT_KINDS = ['drop', 'dropResponse', 'duplicate', 'delay', 'cutBody'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
/** What happened to one request. */
export type Outcome = FaultKind | 'pass' | 'refused';

/** The probability of each fault per request (0 to 1, summing to at most 1); absent is 0. */
export type FaultRates = Partial<Record<FaultKind, number>>;

/** A request as the proxy received it, before any fault. */
export interface ProxiedRequest {
  /** 0, 1, 2, ... in order of arrival. */
  index: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  outcome: Outcome;
}

export interface FaultyProxyOptions {
  /** Base URL of the target, e.g. the hub's `http://127.0.0.1:40123`. */
  target: string;
  /** Seed of the fault plan: the same seed and request order give the same faults. */
  seed: number;
  faults?: FaultRates;
  /** Hold time of `delay` and of a duplicate's second copy, in ms; default 20 to 400. */
  delayMs?: { min: number; max: number };
  /** Called for every request received in full, before its fault is applied. */
  observe?: (request: ProxiedRequest) => void;
}

/** Counts of what the proxy did. */
export interface ProxyStats {
  requests: number;
  pass: number;
  drop: number;
  dropResponse: number;
  duplicate: number;
  delay: number;
  cutBody: number;
  /** Connections reset because the proxy was cut. */
  refused: number;
  /** Copies whose forwarding failed at the target (it was down or restarting). */
  upstreamErrors: number;
  /** Copies that reached the target in full and got an answer, by status. */
  statuses: Record<number, number>;
  /** Copies that arrived at the target after the sender had stopped waiting for them. */
  stale: number;
}

/** A running proxy. */
export interface FaultyProxy {
  /** The proxy's base URL, to give to units instead of the target's. */
  readonly url: string;
  readonly stats: Readonly<ProxyStats>;
  /** Forwards to another target from now on (the hub restarted on a new port). */
  setTarget(target: string): void;
  setFaults(faults: FaultRates): void;
  /** No faults and connections accepted again: every request passes from now on. */
  heal(): void;
  /** Refuses every connection and resets the open ones: the sender is offline. */
  cut(): void;
  /** Accepts connections again after `cut()`, faults as set. */
  restore(): void;
  /** Resolves when no delayed or duplicated copy is in flight any more. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_DELAY_MS = { min: 20, max: 400 } as const;

/** Mulberry32: a small seeded generator, so a failing run can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function checkRates(faults: FaultRates): FaultRates {
  let sum = 0;
  for (const [kind, rate] of Object.entries(faults)) {
    if (!FAULT_KINDS.includes(kind as FaultKind)) throw new Error(`unknown fault ${kind}`);
    if (rate === undefined) continue;
    if (!(rate >= 0 && rate <= 1)) throw new Error(`the rate of ${kind} must be within 0..1, got ${rate}`);
    sum += rate;
  }
  if (sum > 1 + 1e-9) throw new Error(`fault rates sum to ${sum}, more than 1`);
  return { ...faults };
}

interface UpstreamAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Headers that describe one hop's connection, never forwarded (RFC 9110, section 7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'content-length',
  'host',
]);

function forwardHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

function readBody(message: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    message.on('data', (chunk: Buffer) => chunks.push(chunk));
    message.once('end', () => resolve(Buffer.concat(chunks)));
    message.once('error', reject);
    message.once('close', () => {
      if (!message.complete) reject(new Error('the body was cut short'));
    });
  });
}

/**
 * Starts a proxy on 127.0.0.1 (a port the kernel picks) in front of `options.target`.
 * @example
 * const proxy = await startFaultyProxy({ target: hub.url, seed: 7, faults: { drop: 0.1, delay: 0.1 } });
 * // ... point units at proxy.url, work, then:
 * proxy.heal();
 * await proxy.settled();
 */
export async function startFaultyProxy(options: FaultyProxyOptions): Promise<FaultyProxy> {
  const random = seededRandom(options.seed);
  const delayMs = options.delayMs ?? DEFAULT_DELAY_MS;
  let target = new URL(options.target);
  let faults = checkRates(options.faults ?? {});
  let offline = false;
  let closed = false;
  let nextIndex = 0;
  const sockets = new Set<Socket>();
  const inFlight = new Set<Promise<unknown>>();
  const stats: ProxyStats = {
    requests: 0,
    pass: 0,
    drop: 0,
    dropResponse: 0,
    duplicate: 0,
    delay: 0,
    cutBody: 0,
    refused: 0,
    upstreamErrors: 0,
    statuses: {},
    stale: 0,
  };

  const track = <T>(work: Promise<T>): Promise<T> => {
    inFlight.add(work);
    void work.then(
      () => inFlight.delete(work),
      () => inFlight.delete(work),
    );
    return work;
  };

  const pick = (): FaultKind | 'pass' => {
    const draw = random();
    let edge = 0;
    for (const kind of FAULT_KINDS) {
      edge += faults[kind] ?? 0;
      if (draw < edge) return kind;
    }
    return 'pass';
  };
  const holdMs = () => delayMs.min + Math.floor(random() * (delayMs.max - delayMs.min + 1));

  /**
   * Sends one copy to the target. With `prefixBytes`, only that much of the body is sent
   * before the upstream connection is destroyed (announcing the full length), so the
   * target sees a request cut mid-body.
   */
  const forward = (
    incoming: { method: string; path: string; headers: IncomingHttpHeaders; body: Buffer },
    prefixBytes?: number,
  ): Promise<UpstreamAnswer | undefined> =>
    new Promise((resolve) => {
      const upstream = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: incoming.method,
          path: incoming.path,
          headers: {
            ...forwardHeaders(incoming.headers),
            host: target.host,
            'content-length': String(incoming.body.length),
            connection: 'close',
          },
          agent: false,
        },
        (response) => {
          readBody(response).then(
            (body) => {
              const status = response.statusCode ?? 0;
              stats.statuses[status] = (stats.statuses[status] ?? 0) + 1;
              resolve({ status, headers: response.headers, body });
            },
            () => {
              stats.upstreamErrors += 1;
              resolve(undefined);
            },
          );
        },
      );
      upstream.on('error', () => {
        if (prefixBytes === undefined) stats.upstreamErrors += 1;
        resolve(undefined);
      });
      if (prefixBytes === undefined) {
        upstream.end(incoming.body);
        return;
      }
      upstream.write(incoming.body.subarray(0, prefixBytes), () => {
        // Give the target a moment to read the prefix before the connection goes.
        setTimeout(() => {
          upstream.destroy();
          resolve(undefined);
        }, 5);
      });
    });

  const reset = (socket: Socket) => {
    if (socket.destroyed) return;
    // A socket whose peer has ended (or that is ending) is only destroyed: resetting it
    // while its shutdown is pending fails in libuv (EINVAL), and Node 24 then leaves the
    // handle half-closed for ever, so the process spins at 100% CPU when it exits.
    if (socket.writableEnded || socket.readableEnded) socket.destroy();
    else socket.resetAndDestroy();
  };

  const answer = (response: ServerResponse, socket: Socket, got: UpstreamAnswer) => {
    if (socket.destroyed || response.writableEnded) {
      stats.stale += 1;
      return;
    }
    const headers = forwardHeaders(got.headers);
    headers['content-length'] = String(got.body.length);
    response.writeHead(got.status, headers);
    response.end(got.body);
  };

  const server = createServer((request, response) => {
    const socket = request.socket;
    void (async () => {
      let body: Buffer;
      try {
        body = await readBody(request);
      } catch {
        reset(socket);
        return;
      }
      if (offline) {
        stats.refused += 1;
        reset(socket);
        return;
      }
      const incoming = {
        method: request.method ?? 'GET',
        path: request.url ?? '/',
        headers: request.headers,
        body,
      };
      const outcome = pick();
      const index = nextIndex++;
      stats.requests += 1;
      stats[outcome] += 1;
      options.observe?.({ index, ...incoming, outcome });
      switch (outcome) {
        case 'drop':
          reset(socket);
          return;
        case 'cutBody': {
          const prefix = Math.floor(random() * body.length);
          await track(forward(incoming, prefix));
          reset(socket);
          return;
        }
        case 'dropResponse': {
          await track(forward(incoming));
          reset(socket);
          return;
        }
        case 'delay': {
          const hold = holdMs();
          const got = await track(
            new Promise<UpstreamAnswer | undefined>((resolve) =>
              setTimeout(() => resolve(forward(incoming)), hold),
            ),
          );
          if (got) answer(response, socket, got);
          else reset(socket);
          return;
        }
        case 'duplicate': {
          const hold = holdMs();
          void track(new Promise<unknown>((resolve) => setTimeout(() => resolve(forward(incoming)), hold)));
          const got = await track(forward(incoming));
          if (got) answer(response, socket, got);
          else reset(socket);
          return;
        }
        default: {
          const got = await track(forward(incoming));
          if (got) answer(response, socket, got);
          else reset(socket);
        }
      }
    })();
  });
  server.on('connection', (socket: Socket) => {
    if (offline || closed) {
      stats.refused += 1;
      reset(socket);
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // A reset by the sender is not the proxy's failure.
  server.on('clientError', (_error, socket) => {
    if (!socket.destroyed) socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no TCP address');
  const url = `http://127.0.0.1:${address.port}`;

  return {
    url,
    stats,
    setTarget(next) {
      target = new URL(next);
    },
    setFaults(next) {
      faults = checkRates(next);
    },
    heal() {
      faults = {};
      offline = false;
    },
    cut() {
      offline = true;
      for (const socket of sockets) reset(socket);
    },
    restore() {
      offline = false;
    },
    async settled() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const socket of sockets) reset(socket);
      await Promise.allSettled([...inFlight]);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
