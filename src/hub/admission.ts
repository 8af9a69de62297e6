/**
 * Admission control for pushes: at most `maxConcurrent` pushes are applied at once and at
 * most `maxQueued` more are in flight (being read or waiting for a slot). Beyond that a
 * push is refused at once, before its body is read, with 429 and a jittered Retry-After,
 * so a thousand units reconnecting together spread out instead of piling up in memory.
 */

/** The outcome of asking to start a push. */
export type Admission =
  | { ok: true; ticket: PushTicket }
  | { ok: false; reason: 'full' | 'closing'; retryAfterSeconds: number };

/** One admitted push: it waits for an apply slot, then releases everything when done. */
export interface PushTicket {
  /** Waits for an apply slot; false when the wait timed out or the hub is closing. */
  waitForSlot(): Promise<boolean>;
  /** Ends the push (whether or not it got a slot); idempotent. */
  release(): void;
}

export interface AdmissionOptions {
  maxConcurrent: number;
  maxQueued: number;
  /** Longest wait for a slot before the push is answered 503. */
  queueTimeoutMs: number;
  /** Uniform random number in [0, 1) for the jitter; default `Math.random`. */
  random?: () => number;
}

/** Counts admitted pushes and hands out apply slots in arrival order. */
export class PushAdmission {
  readonly #options: AdmissionOptions;
  #inFlight = 0;
  #applying = 0;
  #closing = false;
  readonly #waiting: { resume: (granted: boolean) => void }[] = [];
  readonly #drained: (() => void)[] = [];

  constructor(options: AdmissionOptions) {
    this.#options = options;
  }

  /** Pushes admitted and not yet finished (reading, waiting or applying). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Pushes holding an apply slot. */
  get applying(): number {
    return this.#applying;
  }

  /** Pushes waiting for an apply slot. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** A Retry-After of 1 to 5 seconds, uniformly jittered (AWS "full jitter" on a short cap). */
  retryAfterSeconds(): number {
    return 1 + Math.floor((this.#options.random ?? Math.random)() * 5);
  }

  /** Admits a push, or refuses it when the hub is full or closing. */
  admit(): Admission {
    if (this.#closing) return { ok: false, reason: 'closing', retryAfterSeconds: this.retryAfterSeconds() };
    if (this.#inFlight >= this.#options.maxConcurrent + this.#options.maxQueued) {
      return { ok: false, reason: 'full', retryAfterSeconds: this.retryAfterSeconds() };
    }
    this.#inFlight += 1;
    let slot = false;
    let released = false;
    return {
      ok: true,
      ticket: {
        waitForSlot: async () => {
          if (slot) return true;
          if (this.#closing) return false;
          if (this.#applying < this.#options.maxConcurrent) {
            this.#applying += 1;
            slot = true;
            return true;
          }
          slot = await new Promise<boolean>((resolve) => {
            const waiter = {
              resume: (granted: boolean) => {
                clearTimeout(timer);
                resolve(granted);
              },
            };
            const timer = setTimeout(() => {
              const index = this.#waiting.indexOf(waiter);
              if (index >= 0) this.#waiting.splice(index, 1);
              resolve(false);
            }, this.#options.queueTimeoutMs);
            this.#waiting.push(waiter);
          });
          return slot;
        },
        release: () => {
          if (released) return;
          released = true;
          this.#inFlight -= 1;
          if (slot) {
            const next = this.#waiting.shift();
            // The slot passes straight to the next waiter, so `applying` stays the same.
            if (next) next.resume(true);
            else this.#applying -= 1;
          }
          if (this.#inFlight === 0) for (const resolve of this.#drained.splice(0)) resolve();
        },
      },
    };
  }

  /**
   * Stops admitting (new pushes get `closing`), refuses the waiting ones, and resolves
   * when the pushes already applying have finished.
   */
  async drain(): Promise<void> {
    this.#closing = true;
    for (const waiter of this.#waiting.splice(0)) waiter.resume(false);
    if (this.#inFlight === 0) return;
    await new Promise<void>((resolve) => this.#drained.push(resolve));
  }
}
