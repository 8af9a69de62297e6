/**
 * The load generator of `npm run bench -- hub`: a fleet of simulated units, each pushing
 * the current 5-minute bucket of every series it exports every 15 s with its own random
 * phase, to `POST /api/v1/sync/push` over keep-alive connections.
 *
 * The whole schedule (warm-up and measured window) is encoded and gzip-compressed before
 * the clock starts, so sending a push costs only the socket write. A unit's pushes go out
 * one after another (its next push waits for the answer to the previous one, as a unit's
 * outbox does), and at most `concurrency` pushes are in flight over the whole fleet; a due
 * push that finds no free slot waits in a queue, and that wait counts as lag.
 *
 * A push the hub refuses (429, 503, 409) leaves the unit's acknowledged seq where it was;
 * the unit's next push then covers from that seq (re-encoded at send time), as the outbox
 * resends everything pending. Refused pushes are not retried on their own: the next push
 * carries the same series with newer values.
 */

import { Agent, request } from 'node:http';
import { SYNC_PROTOCOL_VERSION } from '../../src/sync/index.ts';
import { currentBuckets, type EncodedPush, encodePush, type Fleet } from './hub-fleet.ts';

/** Seconds between two pushes of one unit (`sync.pushInterval`). */
export const PUSH_INTERVAL_MS = 15_000;

/** One scheduled push. */
interface Planned {
  /** Milliseconds after the start of the run. */
  offsetMs: number;
  unit: number;
  push: EncodedPush;
  /** Scheduled inside the measured window. */
  measured: boolean;
}

/** The schedule of a run, every body ready. */
export interface LoadPlan {
  pushes: Planned[];
  warmupMs: number;
  measuredMs: number;
  /** Wall time the bodies' buckets were computed for (offset 0). */
  baseWallMs: number;
  encodeMs: number;
  gzipBytes: number;
  jsonBytes: number;
  recordsPerPush: number;
}

/**
 * Encodes every push of `warmupMs + measuredMs`: unit u first pushes at its phase (uniform
 * in one interval), then every interval. `firstSeq[u]` is unit u's next seq (after its
 * history); `baseWallMs` the wall time of offset 0 (buckets are computed for it; the run
 * starts a little later, so each body is as old as encoding took, like a unit that lags).
 */
export function planLoad(
  fleet: Fleet,
  options: { warmupMs: number; measuredMs: number; ackedSeq: readonly number[]; rand: () => number },
): LoadPlan {
  const startedAt = performance.now();
  const baseWallMs = Date.now();
  const totalMs = options.warmupMs + options.measuredMs;
  const pushes: Planned[] = [];
  let gzipBytes = 0;
  let jsonBytes = 0;
  fleet.unitIds.forEach((unit, u) => {
    const phase = options.rand() * PUSH_INTERVAL_MS;
    let seq = options.ackedSeq[u] ?? 0;
    for (let offsetMs = phase; offsetMs < totalMs; offsetMs += PUSH_INTERVAL_MS) {
      const records = currentBuckets(fleet.series[u]!, baseWallMs + offsetMs);
      const push = encodePush(unit, seq, baseWallMs + offsetMs, records);
      seq = push.throughSeq;
      gzipBytes += push.body.length;
      jsonBytes += push.jsonBytes;
      pushes.push({ offsetMs, unit: u, push, measured: offsetMs >= options.warmupMs });
    }
  });
  pushes.sort((a, b) => a.offsetMs - b.offsetMs);
  return {
    pushes,
    warmupMs: options.warmupMs,
    measuredMs: options.measuredMs,
    baseWallMs,
    encodeMs: performance.now() - startedAt,
    gzipBytes,
    jsonBytes,
    recordsPerPush: fleet.series[0]?.length ?? 0,
  };
}

/** An answer, with the body of a non-2xx (truncated) or the acknowledged seq of a 2xx. */
interface Answer {
  status: number;
  text: string;
}

const REQUEST_TIMEOUT_MS = 60_000;

/** POSTs one gzip JSON body; resolves with the status and the answer's text. */
export function postPush(agent: Agent, url: URL, token: string, body: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'Content-Type': 'application/json',
          'Content-Encoding': 'gzip',
          'Content-Length': body.length,
          'Sextant-Sync-Protocol': SYNC_PROTOCOL_VERSION,
          Authorization: `Bearer ${token}`,
          'User-Agent': 'sextant-bench-hub',
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          if (text.length < 2000) text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer in ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** One second of the run, as seen by the generator. */
export interface Second {
  /** Seconds since the start of the run (warm-up included). */
  at: number;
  /** Pushes scheduled in this second, answered 2xx in it, and waiting or in flight at its end. */
  offered: number;
  accepted: number;
  backlog: number;
  /** Slowest 2xx answer that arrived in this second, ms (0: none). */
  maxLatencyMs: number;
}

/** What a run measured: pushes scheduled inside the measured window only. */
export interface LoadResult {
  measuredSeconds: number;
  offered: number;
  /** Answered 2xx (their answer may arrive after the window ends; the run waits for it). */
  accepted: number;
  /** Accepted pushes whose answer arrived inside the window, per second of it. */
  acceptedInWindowPerSecond: number;
  status429: number;
  status503: number;
  /** Other non-2xx answers (409 gaps, 4xx, 5xx), and connection errors. */
  otherStatus: number;
  errors: number;
  /** Milliseconds from writing the request to the end of the answer, 2xx pushes. */
  latencyMs: number[];
  /** Milliseconds from the scheduled moment to writing the request (queueing in the generator). */
  lagMs: number[];
  /** Pushes re-encoded at send time because an earlier one of the unit was refused. */
  reencoded: number;
  /** 2xx answers whose `ackedSeq` was not the push's `throughSeq`. */
  ackMismatches: number;
  maxInFlight: number;
  /** Largest number of pushes due but waiting for a slot or for the unit's previous push. */
  maxBacklog: number;
  seconds: Second[];
  /** CPU seconds of this process during the measured window. */
  generatorCpuSeconds: number;
  firstProblems: string[];
}

/** Hooks called at the window's edges (to read the hub's CPU and memory) and once a second. */
export interface LoadHooks {
  measureStart?: () => void;
  measureEnd?: () => void;
  everySecond?: (at: number) => void;
}

/** Runs a plan against the hub at `baseUrl` with the units' tokens. */
export async function runLoad(
  plan: LoadPlan,
  fleet: Fleet,
  target: {
    baseUrl: string;
    tokens: readonly string[];
    concurrency: number;
    exited: () => string | undefined;
  },
  hooks: LoadHooks = {},
): Promise<LoadResult> {
  const url = new URL('/api/v1/sync/push', target.baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: target.concurrency });
  const units = fleet.unitIds.map(() => ({ ackedSeq: -1, busy: false, waiting: [] as Planned[] }));
  for (const p of plan.pushes) {
    const unit = units[p.unit]!;
    if (unit.ackedSeq === -1) unit.ackedSeq = p.push.afterSeq;
  }
  const result: LoadResult = {
    measuredSeconds: plan.measuredMs / 1000,
    offered: 0,
    accepted: 0,
    acceptedInWindowPerSecond: 0,
    status429: 0,
    status503: 0,
    otherStatus: 0,
    errors: 0,
    latencyMs: [],
    lagMs: [],
    reencoded: 0,
    ackMismatches: 0,
    maxInFlight: 0,
    maxBacklog: 0,
    seconds: [],
    generatorCpuSeconds: 0,
    firstProblems: [],
  };
  const totalMs = plan.warmupMs + plan.measuredMs;
  const secondCount = Math.ceil(totalMs / 1000);
  const seconds: Second[] = Array.from({ length: secondCount }, (_, at) => ({
    at,
    offered: 0,
    accepted: 0,
    backlog: 0,
    maxLatencyMs: 0,
  }));
  let inFlight = 0;
  /** Due pushes waiting for a free slot (their unit is idle). */
  const ready: Planned[] = [];
  let backlog = 0;
  let acceptedInWindow = 0;
  let outstanding = 0;
  let allAnswered: () => void = () => {};
  const answered = new Promise<void>((resolve) => {
    allAnswered = resolve;
  });
  const start = performance.now();
  const now = () => performance.now() - start;
  const problem = (text: string) => {
    if (result.firstProblems.length < 5) result.firstProblems.push(text);
  };

  const send = async (p: Planned) => {
    const unit = units[p.unit]!;
    unit.busy = true;
    inFlight++;
    backlog--;
    result.maxInFlight = Math.max(result.maxInFlight, inFlight);
    let push = p.push;
    if (push.afterSeq !== unit.ackedSeq) {
      // An earlier push was refused: cover from the hub's mark, keep this push's seqs.
      push = encodePush(
        fleet.unitIds[p.unit]!,
        unit.ackedSeq,
        plan.baseWallMs + p.offsetMs,
        currentBuckets(fleet.series[p.unit]!, plan.baseWallMs + p.offsetMs),
        p.push.afterSeq + 1,
      );
      result.reencoded++;
    }
    const sentAt = now();
    if (p.measured) result.lagMs.push(sentAt - p.offsetMs);
    try {
      const answer = await postPush(agent, url, target.tokens[p.unit]!, push.body);
      const doneAt = now();
      if (answer.status >= 200 && answer.status < 300) {
        let acked = push.throughSeq;
        try {
          acked = (JSON.parse(answer.text) as { ackedSeq: number }).ackedSeq;
        } catch {
          problem(`2xx answer is not JSON: ${answer.text.slice(0, 200)}`);
        }
        if (acked !== push.throughSeq) {
          result.ackMismatches++;
          problem(`ackedSeq ${acked} after a push through ${push.throughSeq}`);
        }
        unit.ackedSeq = acked;
        const second = seconds[Math.floor(doneAt / 1000)];
        if (second) {
          second.accepted++;
          second.maxLatencyMs = Math.max(second.maxLatencyMs, doneAt - sentAt);
        }
        if (p.measured) {
          result.accepted++;
          result.latencyMs.push(doneAt - sentAt);
          if (doneAt <= totalMs) acceptedInWindow++;
        }
      } else {
        if (answer.status === 409) {
          const mark = /"ackedSeq"\s*:\s*(\d+)/.exec(answer.text)?.[1];
          if (mark !== undefined) unit.ackedSeq = Number(mark);
        }
        if (p.measured) {
          if (answer.status === 429) result.status429++;
          else if (answer.status === 503) result.status503++;
          else result.otherStatus++;
        }
        problem(`HTTP ${answer.status}: ${answer.text.slice(0, 300)}`);
      }
    } catch (error) {
      if (p.measured) result.errors++;
      problem((error as Error).message);
    } finally {
      inFlight--;
      unit.busy = false;
      const next = unit.waiting.shift();
      if (next) ready.push(next);
      pump();
      if (--outstanding === 0 && scheduled === plan.pushes.length) allAnswered();
    }
  };

  const pump = () => {
    while (inFlight < target.concurrency && ready.length > 0) void send(ready.shift()!);
  };

  let scheduled = 0;
  const release = (p: Planned) => {
    backlog++;
    outstanding++;
    result.maxBacklog = Math.max(result.maxBacklog, backlog);
    const second = seconds[Math.floor(p.offsetMs / 1000)];
    if (second) second.offered++;
    if (p.measured) result.offered++;
    const unit = units[p.unit]!;
    if (unit.busy || unit.waiting.length > 0) unit.waiting.push(p);
    else ready.push(p);
  };

  // Per-second bookkeeping and the hooks.
  let measureStarted = false;
  let cpuAtMeasureStart = process.cpuUsage();
  const tick = () => {
    const at = Math.floor(now() / 1000);
    const previous = seconds[at - 1];
    if (previous) previous.backlog = backlog + inFlight;
    hooks.everySecond?.(at);
  };
  const ticker = setInterval(tick, 1000);
  let windowEnded: () => void = () => {};
  const ended = new Promise<void>((resolve) => {
    windowEnded = resolve;
  });
  const edges = [
    setTimeout(() => {
      measureStarted = true;
      cpuAtMeasureStart = process.cpuUsage();
      hooks.measureStart?.();
    }, plan.warmupMs),
    setTimeout(() => {
      const cpu = process.cpuUsage(cpuAtMeasureStart);
      result.generatorCpuSeconds = (cpu.user + cpu.system) / 1e6;
      hooks.measureEnd?.();
      windowEnded();
    }, totalMs),
  ];
  try {
    while (scheduled < plan.pushes.length) {
      const exit = target.exited();
      if (exit !== undefined) throw new Error(`the hub exited during the load: ${exit}`);
      const due = now();
      while (scheduled < plan.pushes.length && plan.pushes[scheduled]!.offsetMs <= due)
        release(plan.pushes[scheduled++]!);
      pump();
      const next = plan.pushes[scheduled];
      if (next) await new Promise((resolve) => setTimeout(resolve, Math.max(0, next.offsetMs - now())));
    }
    if (outstanding > 0) await answered;
    // The window's last hook fires on its timer; wait for it if the answers came first.
    await ended;
  } finally {
    clearInterval(ticker);
    for (const edge of edges) clearTimeout(edge);
    agent.destroy();
  }
  if (!measureStarted) throw new Error('the measured window never started');
  result.acceptedInWindowPerSecond = acceptedInWindow / result.measuredSeconds;
  result.seconds = seconds;
  return result;
}

/** The q-quantile (0..1) of `values` by nearest rank; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}
