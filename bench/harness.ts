/**
 * The benchmark harness shared by every `bench/NAME.ts`: repeated timing with medians,
 * child processes measured for wall time and peak RSS, CPU profile summaries, and one
 * result shape printed either as a table or as exactly one JSON object.
 *
 * A benchmark module exports `description`, optionally `options` (extra flags in
 * `util.parseArgs` form) and `run(options) -> Promise<BenchResult>`; `bench/main.ts`
 * finds it by file name.
 */

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// ---------------------------------------------------------------------------------------
// Result shape

/** Summary of repeated measurements of one quantity. */
export interface Stats {
  median: number;
  min: number;
  max: number;
  runs: number;
  /** Every measurement, in the order taken. */
  samples: number[];
}

/** One measured quantity, e.g. the time to validate a catalog. */
export interface Figure extends Stats {
  name: string;
  /** `ms`, `MB`, `1/s`, ... */
  unit: string;
  description: string;
  /** Which direction is an improvement, for readers and for comparing runs. */
  better: 'lower' | 'higher';
}

/** The same measurements taken on a peer (Prometheus, Sloth, ...), when one exists. */
export interface Peer {
  name: string;
  version?: string;
  figures: Figure[];
}

/** `numerator / denominator` of two figure medians (ours or a peer's, `peer:name` style). */
export interface Ratio {
  name: string;
  value: number;
  numerator: string;
  denominator: string;
  description: string;
}

/** Where a benchmark ran: enough to compare numbers between machines. */
export interface Environment {
  node: string;
  platform: string;
  release: string;
  arch: string;
  cpus: number;
  cpuModel: string;
  memoryMb: number;
  /**
   * 1, 5 and 15-minute load averages when the benchmark started and ended: above the
   * number of CPUs, other processes competed for them and timings are inflated.
   */
  loadAverage: { start: number[]; end?: number[] };
}

/** Everything a benchmark reports; `--json` prints exactly this object. */
export interface BenchResult {
  benchmark: string;
  description: string;
  /** The settings of this run (sizes, run counts, seeds). */
  params: Record<string, string | number | boolean>;
  environment: Environment;
  /** What was measured on, e.g. counts of generated files and entities. */
  input: Record<string, string | number>;
  figures: Figure[];
  peers: Peer[];
  ratios: Ratio[];
  /** Remarks a reader needs, e.g. hot spots from a CPU profile. */
  notes: string[];
  startedAt: string;
  durationMs: number;
}

/** Options every benchmark gets from `bench/main.ts`. */
export interface BenchOptions {
  /** Measured repetitions per figure (warm-up runs not counted). */
  runs: number;
  json: boolean;
  /** Values of the benchmark's own flags (its `options` export). */
  values: Record<string, string | boolean | undefined>;
  /** Progress for humans; goes to stderr so stdout stays one JSON object under --json. */
  log: (message: string) => void;
}

/** A flag of one benchmark, e.g. `--services 5000`. */
export type BenchFlag =
  | { type: 'string'; default?: string; description: string }
  | { type: 'boolean'; description: string };

/** The shape of a benchmark module. */
export interface BenchModule {
  /** One line for the list of benchmarks. */
  description: string;
  /** Its own flags, beside the common --json and --runs. */
  options?: Readonly<Record<string, BenchFlag>>;
  run(options: BenchOptions): Promise<BenchResult>;
}

// ---------------------------------------------------------------------------------------
// Statistics and timing

/** The median; the mean of the middle two for an even count. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Median, min and max of `samples`. */
export function summarize(samples: readonly number[]): Stats {
  return {
    median: median(samples),
    min: Math.min(...samples),
    max: Math.max(...samples),
    runs: samples.length,
    samples: [...samples],
  };
}

/** Builds a figure from raw samples. */
export function figure(
  name: string,
  unit: string,
  samples: readonly number[],
  description: string,
  better: Figure['better'] = 'lower',
): Figure {
  return { name, unit, description, better, ...summarize(samples) };
}

/** Wall-clock and CPU time of each measured run, in milliseconds. */
export interface RunSamples {
  wallMs: number[];
  /**
   * User + system CPU time of this process (all its threads, GC helpers included).
   * Less disturbed than wall time when other processes compete for the CPUs.
   */
  cpuMs: number[];
}

/**
 * Runs `fn` `runs` times after `warmup` untimed calls, with a full GC before each run
 * so that one run's garbage is not billed to the next.
 */
export async function timeRuns(
  fn: () => unknown,
  options: { runs: number; warmup?: number; onRun?: (wallMs: number, index: number) => void },
): Promise<RunSamples> {
  for (let i = 0; i < (options.warmup ?? 1); i++) await fn();
  const samples: RunSamples = { wallMs: [], cpuMs: [] };
  for (let i = 0; i < options.runs; i++) {
    collectGarbage();
    const cpuAtStart = process.cpuUsage();
    const startedAt = performance.now();
    await fn();
    const wallMs = performance.now() - startedAt;
    const cpu = process.cpuUsage(cpuAtStart);
    samples.wallMs.push(wallMs);
    samples.cpuMs.push((cpu.user + cpu.system) / 1000);
    options.onRun?.(wallMs, i);
  }
  return samples;
}

/** CPU time (user + system) of this process since `since`, in milliseconds. */
export function cpuMsSince(since: NodeJS.CpuUsage): number {
  const cpu = process.cpuUsage(since);
  return (cpu.user + cpu.system) / 1000;
}

let gc: (() => void) | undefined;

/**
 * Forces a full garbage collection, so that one run's garbage is not collected (and
 * billed) during the next. Works without `--expose-gc` on the command line: the flag is
 * set at run time and `gc` taken from a fresh context, as V8's own tests do.
 */
export function collectGarbage(): void {
  if (gc === undefined) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (exposed) gc = exposed;
    else {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    }
  }
  gc();
}

/** `numerator.median / denominator.median` as a ratio. */
export function ratio(name: string, numerator: Figure, denominator: Figure, description: string): Ratio {
  return {
    name,
    value: numerator.median / denominator.median,
    numerator: numerator.name,
    denominator: denominator.name,
    description,
  };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** The machine, now; call at the start of a run and `finishEnvironment` at its end. */
export function environment(): Environment {
  const cores = cpus();
  return {
    node: process.version,
    platform: platform(),
    release: release(),
    arch: arch(),
    cpus: cores.length,
    cpuModel: cores[0]?.model.trim() ?? 'unknown',
    memoryMb: Math.round(totalmem() / 2 ** 20),
    loadAverage: { start: loadavg().map(round2) },
  };
}

/** Records the load average at the end of a run beside the one at its start. */
export function finishEnvironment(env: Environment): Environment {
  return { ...env, loadAverage: { ...env.loadAverage, end: loadavg().map(round2) } };
}

// ---------------------------------------------------------------------------------------
// Child processes

/** How a child process went: wall time from spawn to exit, and its peak resident memory. */
export interface ProcessRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  wallMs: number;
  /**
   * Peak RSS, from Linux's VmHWM (the kernel's high-water mark) polled every `pollMs`;
   * undefined elsewhere. Growth in the last poll interval before exit can be missed, so
   * node children should also report `peakRssMb()` themselves.
   */
  peakRssMb?: number;
  stdout: string;
  stderr: string;
}

/** Runs a command, any program (a peer such as Prometheus as well as node), and measures it. */
export function runProcess(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; pollMs?: number } = {},
): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    let peakKb: number | undefined;
    const poll = async () => {
      if (child.pid === undefined || platform() !== 'linux') return;
      try {
        const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
        const kb = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]);
        if (Number.isFinite(kb)) peakKb = Math.max(peakKb ?? 0, kb);
      } catch {
        // The process has just exited.
      }
    };
    const timer = setInterval(() => void poll(), options.pollMs ?? 10);
    void poll();
    child.on('error', (error) => {
      clearInterval(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearInterval(timer);
      const run: ProcessRun = { code, signal, wallMs: performance.now() - startedAt, stdout, stderr };
      if (peakKb !== undefined) run.peakRssMb = peakKb / 1024;
      resolve(run);
    });
  });
}

const REPORT_PREFIX = 'BENCH_REPORT ';

/** For a node child of a benchmark: prints its measurements as one marked stdout line. */
export function reportToParent(values: Record<string, unknown>): void {
  process.stdout.write(`${REPORT_PREFIX}${JSON.stringify(values)}\n`);
}

/** Reads what a child printed with `reportToParent`. */
export function readChildReport<T>(run: ProcessRun): T {
  const line = run.stdout.split('\n').find((text) => text.startsWith(REPORT_PREFIX));
  if (line === undefined) {
    throw new Error(
      `child exited (${run.signal ?? run.code}) without a report: ${run.stderr.trim().slice(-1000)}`,
    );
  }
  return JSON.parse(line.slice(REPORT_PREFIX.length)) as T;
}

/**
 * This process's peak RSS so far, in MB. On Linux it is VmHWM of /proc/self/status,
 * because `process.resourceUsage().maxRSS` (getrusage) survives exec: a child spawned by
 * a 500 MB parent reports at least 500 MB whatever it does itself.
 */
export function peakRssMb(): number {
  if (platform() === 'linux') {
    try {
      const kb = Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
      if (Number.isFinite(kb)) return kb / 1024;
    } catch {
      // No procfs: fall back to getrusage.
    }
  }
  return process.resourceUsage().maxRSS / 1024;
}

// ---------------------------------------------------------------------------------------
// CPU profiles

/** One function's share of a CPU profile. */
export interface HotSpot {
  function: string;
  /** `file:line`, shortened to the repository or the package. */
  location: string;
  selfMs: number;
  selfPercent: number;
  totalMs: number;
  totalPercent: number;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** The functions with the most self time in a `.cpuprofile` (from `node --cpu-prof`), with total time. */
export async function hotSpots(profilePath: string, top = 15): Promise<HotSpot[]> {
  const profile = JSON.parse(await readFile(profilePath, 'utf8')) as {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
  };
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const key = (node: ProfileNode) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*?\/(src|bench|test)\//, '$1/');
    return `${functionName || '(anonymous)'}\t${where ? `${where}:${lineNumber + 1}` : '(native)'}`;
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let all = 0;
  profile.samples.forEach((id, index) => {
    const us = profile.timeDeltas[index] ?? 0;
    all += us;
    const node = nodes.get(id)!;
    self.set(key(node), (self.get(key(node)) ?? 0) + us);
    // Inclusive time: once per function on the stack, however often it recurses.
    const seen = new Set<string>();
    for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
      const k = key(nodes.get(current)!);
      if (seen.has(k)) continue;
      seen.add(k);
      total.set(k, (total.get(k) ?? 0) + us);
    }
  });
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, us]) => {
      const [fn, location] = k.split('\t') as [string, string];
      const inclusive = total.get(k) ?? us;
      return {
        function: fn,
        location,
        selfMs: us / 1000,
        selfPercent: (100 * us) / all,
        totalMs: inclusive / 1000,
        totalPercent: (100 * inclusive) / all,
      };
    });
}

// ---------------------------------------------------------------------------------------
// Output

/** Formats a number with a sensible precision for a table. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return Math.round(value).toLocaleString('en-US');
  if (magnitude >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** Renders rows as an aligned text table; numbers (and the header above them) align right. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const numeric = header.map(
    (_, column) => rows.length > 0 && rows.every((row) => /^[-\d.,]+$|^$/.test(row[column] ?? '')),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        numeric[column] ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!),
      )
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

/** The human-readable report of a result. */
export function formatReport(result: BenchResult): string {
  const out: string[] = [];
  out.push(`${result.benchmark}: ${result.description}`);
  const env = result.environment;
  out.push(
    `node ${env.node} on ${env.platform}/${env.arch}, ${env.cpus} x ${env.cpuModel}, ${env.memoryMb} MB`,
  );
  const load = (values: number[] | undefined) => values?.map((v) => v.toFixed(2)).join(' ') ?? '?';
  out.push(
    `load average (1m 5m 15m): ${load(env.loadAverage.start)} at start, ${load(env.loadAverage.end)} at end`,
  );
  const params = Object.entries(result.params).map(([key, value]) => `${key}=${value}`);
  if (params.length > 0) out.push(`params: ${params.join(' ')}`);
  const input = Object.entries(result.input).map(
    ([key, value]) => `${key}=${typeof value === 'number' ? value.toLocaleString('en-US') : value}`,
  );
  if (input.length > 0) out.push(`input: ${input.join(' ')}`);
  out.push('');
  const rows = (owner: string, figures: readonly Figure[]) =>
    figures.map((f) => [
      owner ? `${owner}: ${f.name}` : f.name,
      formatNumber(f.median),
      formatNumber(f.min),
      formatNumber(f.max),
      f.unit,
      String(f.runs),
      f.description,
    ]);
  out.push(
    table(
      ['figure', 'median', 'min', 'max', 'unit', 'runs', 'what'],
      [...rows('', result.figures), ...result.peers.flatMap((peer) => rows(peer.name, peer.figures))],
    ),
  );
  if (result.ratios.length > 0) {
    out.push('');
    out.push(
      table(
        ['ratio', 'value', 'of', 'to', 'meaning'],
        result.ratios.map((r) => [r.name, formatNumber(r.value), r.numerator, r.denominator, r.description]),
      ),
    );
  }
  if (result.notes.length > 0) {
    out.push('');
    for (const note of result.notes) out.push(note);
  }
  return `${out.join('\n')}\n`;
}
