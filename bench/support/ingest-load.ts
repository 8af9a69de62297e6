/**
 * The load generator of `npm run bench -- ingest`: sends the pre-compressed batches of a
 * stream to one receiver over N keep-alive connections, time step after time step.
 *
 * All connections take work from one queue in (step, batch) order, so every series moves
 * forward together, one scrape interval per step; a batch is never sent again before its
 * previous step was answered, so each series' samples arrive in order (what Prometheus's
 * sharding by series guarantees). Only 2xx answers count as accepted samples. While it
 * runs, the receiver's CPU time is read from /proc once per interval.
 */

import { Agent, request } from 'node:http';
import { type BatchTemplate, patchBatch } from './ingest-stream.ts';
import { cpuSeconds, type RunningTarget } from './ingest-targets.ts';

/** One interval of a phase. */
export interface Interval {
  seconds: number;
  acceptedSamples: number;
  targetCpuSeconds: number;
}

/** What one phase (a probe, a warm-up or the measurement) saw. */
export interface PhaseResult {
  concurrency: number;
  seconds: number;
  /** Samples in 2xx-answered requests, answered before the phase ended. */
  acceptedSamples: number;
  requests: number;
  status2xx: number;
  status4xx: number;
  status5xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  targetCpuSeconds: number;
  /** CPU time of this process (the load generator) over the phase. */
  generatorCpuSeconds: number;
  intervals: Interval[];
  /** The first non-2xx answer or error, for the report. */
  firstProblem?: string;
}

const HEADERS = {
  'Content-Type': 'application/x-protobuf',
  'Content-Encoding': 'snappy',
  'X-Prometheus-Remote-Write-Version': '0.1.0',
  'User-Agent': 'sextant-bench-ingest',
};
const REQUEST_TIMEOUT_MS = 60_000;

interface Answer {
  status: number;
  /** Body of a non-2xx answer (truncated). */
  text: string;
}

function post(agent: Agent, url: URL, body: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { ...HEADERS, 'Content-Length': body.length } },
      (res) => {
        const status = res.statusCode ?? 0;
        let text = '';
        if (status >= 200 && status < 300) res.resume();
        else
          res.setEncoding('utf8').on('data', (chunk: string) => {
            if (text.length < 500) text += chunk;
          });
        res.on('end', () => resolve({ status, text: text.slice(0, 500) }));
        res.on('error', reject);
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer in ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Drives one receiver; the step counter carries over from phase to phase. */
export class LoadDriver {
  readonly #batches: readonly BatchTemplate[];
  readonly #target: RunningTarget;
  readonly #startMs: number;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 256 });
  /** The next (step, batch) item, as `step * batches + batch`. */
  #next = 0;
  /** Every 2xx-answered sample since the start, also those answered after a phase ended. */
  readonly acknowledged = { samples: 0, sliSamples: 0, requests: 0 };
  /** The request in flight per batch, if any. */
  readonly #inFlight: (Promise<void> | undefined)[];

  /** `startMs`: the timestamp of step 0 (each step is one scrape interval later). */
  constructor(batches: readonly BatchTemplate[], target: RunningTarget, startMs: number) {
    this.#batches = batches;
    this.#target = target;
    this.#startMs = startMs;
    this.#inFlight = batches.map(() => undefined);
  }

  /** Time steps started so far (the largest is the newest timestamp sent). */
  get steps(): number {
    return Math.ceil(this.#next / this.#batches.length);
  }

  /** Sends for `seconds` over `concurrency` connections; counts what is answered in time. */
  async phase(concurrency: number, seconds: number, intervalSeconds = 1): Promise<PhaseResult> {
    const pid = this.#target.pid;
    const counters = { accepted: 0, requests: 0, s2xx: 0, s4xx: 0, s5xx: 0, errors: 0 };
    let firstProblem: string | undefined;
    const startedAt = performance.now();
    const cpuAtStart = cpuSeconds(pid);
    const ownCpuAtStart = process.cpuUsage();
    const intervals: Interval[] = [];
    let mark = { at: startedAt, accepted: 0, cpu: cpuAtStart };
    const closeInterval = () => {
      const now = performance.now();
      const cpu = cpuSeconds(pid);
      intervals.push({
        seconds: (now - mark.at) / 1000,
        acceptedSamples: counters.accepted - mark.accepted,
        targetCpuSeconds: cpu - mark.cpu,
      });
      mark = { at: now, accepted: counters.accepted, cpu };
    };
    const ticker = setInterval(closeInterval, intervalSeconds * 1000);
    let running = true;
    let final: PhaseResult | undefined;
    const stopTimer = setTimeout(() => {
      running = false;
      clearInterval(ticker);
      // A last interval shorter than half the others would only add noise.
      if (performance.now() - mark.at >= (intervalSeconds * 1000) / 2) closeInterval();
      const own = process.cpuUsage(ownCpuAtStart);
      final = {
        concurrency,
        seconds: (performance.now() - startedAt) / 1000,
        acceptedSamples: counters.accepted,
        requests: counters.requests,
        status2xx: counters.s2xx,
        status4xx: counters.s4xx,
        status5xx: counters.s5xx,
        errors: counters.errors,
        targetCpuSeconds: cpuSeconds(pid) - cpuAtStart,
        generatorCpuSeconds: (own.user + own.system) / 1e6,
        intervals,
      };
      if (firstProblem !== undefined) final.firstProblem = firstProblem;
    }, seconds * 1000);

    const worker = async () => {
      while (running) {
        if (this.#target.exited()) throw new Error(`${this.#target.name} exited: ${this.#target.logTail()}`);
        const item = this.#next++;
        const index = item % this.#batches.length;
        const step = Math.floor(item / this.#batches.length);
        const batch = this.#batches[index]!;
        // Chained before any await: a batch's steps are patched and sent one after another.
        const previous = this.#inFlight[index];
        let release = () => {};
        this.#inFlight[index] = new Promise<void>((resolve) => {
          release = resolve;
        });
        try {
          await previous;
          patchBatch(batch, step, this.#startMs);
          const answer = await post(this.#agent, this.#target.writeUrl, batch.body);
          if (answer.status >= 200 && answer.status < 300) {
            this.acknowledged.samples += batch.samples;
            this.acknowledged.sliSamples += batch.sliSamples;
            this.acknowledged.requests++;
          }
          if (!running) return;
          counters.requests++;
          if (answer.status >= 200 && answer.status < 300) {
            counters.s2xx++;
            counters.accepted += batch.samples;
          } else {
            if (answer.status >= 500) counters.s5xx++;
            else counters.s4xx++;
            firstProblem ??= `HTTP ${answer.status}: ${answer.text}`;
          }
        } catch (error) {
          if (!running) return;
          counters.errors++;
          firstProblem ??= (error as Error).message;
          await new Promise((resolve) => setTimeout(resolve, 100));
        } finally {
          release();
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: concurrency }, worker));
    } finally {
      clearTimeout(stopTimer);
      clearInterval(ticker);
      running = false;
    }
    return final!;
  }

  close(): void {
    this.#agent.destroy();
  }
}
