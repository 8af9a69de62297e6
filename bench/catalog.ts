/**
 * `npm run bench -- catalog`: how long validating a large catalog takes and how much
 * memory it needs. A realistic fleet (5,000 services by default) is generated into a temp
 * directory; generation is not measured. Measured: a fresh process reading and validating
 * it the way `sextant validate` does (wall time, validation time, peak RSS), then warm
 * in-process runs of `loadCatalogFromPaths` and of the pure `buildCatalog`.
 * No peer: no other tool validates sextant.dev/v1 manifests.
 */

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { buildCatalog, formatIssue, loadManifests, type SourceFile } from '../src/catalog/index.ts';
import { loadCatalogFromPaths } from '../src/catalog-files/index.ts';
import {
  type BenchFlag,
  type BenchOptions,
  type BenchResult,
  environment,
  type Figure,
  figure,
  finishEnvironment,
  formatNumber,
  hotSpots,
  type Ratio,
  ratio,
  readChildReport,
  runProcess,
  timeRuns,
} from './harness.ts';
import { generateFleet } from './support/fleet.ts';

export const description =
  'validate a generated catalog (5,000 services by default): CLI read path in a fresh process with peak RSS, warm loadCatalogFromPaths and buildCatalog';

export const options = {
  services: { type: 'string', default: '5000', description: 'services in the generated catalog' },
  seed: { type: 'string', default: '1', description: 'seed of the generator' },
  breakdown: { type: 'boolean', description: 'also time YAML parsing alone and parsing + schema checks' },
  profile: { type: 'boolean', description: 'profile one more cold run and list its hot spots' },
  keep: { type: 'boolean', description: 'keep the generated catalog directory and print its path' },
} as const satisfies Record<string, BenchFlag>;

const CHILD = fileURLToPath(new URL('./support/catalog-child.ts', import.meta.url));
/** Above this, validation is slow enough to deserve a profile (see --profile). */
const SLOW_MS = 5000;

interface ChildReport {
  ms: number;
  cpuMs: number;
  baselineRssMb: number;
  peakRssMb: number;
  heapUsedMb: number;
  files: number;
  problems: number;
  valid: boolean;
  services: number;
}

export async function run(bench: BenchOptions): Promise<BenchResult> {
  const startedAt = new Date();
  const machine = environment();
  const services = positiveInteger(bench.values['services'], 'services');
  const seed = positiveInteger(bench.values['seed'], 'seed');
  const { runs, log } = bench;

  log(`generating ${services.toLocaleString('en-US')} services (seed ${seed})`);
  const fleet = generateFleet({ services, seed });
  const dir = await mkdtemp(join(tmpdir(), 'sextant-bench-catalog-'));
  try {
    await writeFleet(dir, fleet.files);
    assertValid(fleet.files, services);
    const figures: Figure[] = [];
    const notes: string[] = [];

    // A fresh process per run: the cold path a CLI user waits for, and a clean peak RSS.
    log(`validating in ${runs} fresh process(es)`);
    const reports: ChildReport[] = [];
    const walls: number[] = [];
    for (let i = 0; i < runs; i++) {
      const child = await runProcess(process.execPath, [CHILD, dir]);
      const report = readChildReport<ChildReport>(child);
      if (!report.valid || report.services !== services || report.problems > 0)
        throw new Error(`the child process saw an invalid catalog: ${JSON.stringify(report)}`);
      reports.push(report);
      walls.push(child.wallMs);
      log(
        `  process ${i + 1}: validate ${formatNumber(report.ms)} ms (CPU ${formatNumber(report.cpuMs)} ms), peak RSS ${formatNumber(report.peakRssMb)} MB`,
      );
    }
    const cold = figure(
      'cold read+validate',
      'ms',
      reports.map((r) => r.ms),
      'loadCatalogFromPaths in a fresh process, as sextant validate runs it',
    );
    const coldCpu = figure(
      'cold read+validate CPU',
      'ms',
      reports.map((r) => r.cpuMs),
      'CPU time of the same (user + system, GC threads included)',
    );
    figures.push(
      figure('process wall time', 'ms', walls, 'spawn to exit: node start-up, imports, read, validate'),
      cold,
      coldCpu,
      figure(
        'peak RSS',
        'MB',
        reports.map((r) => r.peakRssMb),
        'peak resident memory of that process (VmHWM on Linux)',
      ),
      figure(
        'baseline RSS',
        'MB',
        reports.map((r) => r.baselineRssMb),
        'the same process after its imports, before reading',
      ),
      figure(
        'heap after validate',
        'MB',
        reports.map((r) => r.heapUsedMb),
        'V8 heap in use with the built catalog alive',
      ),
    );

    log(`warm in-process runs (${runs} each, after one warm-up)`);
    const measure = async (name: string, fn: () => unknown, what: string) => {
      const samples = await timeRuns(fn, { runs });
      const wall = figure(name, 'ms', samples.wallMs, what);
      const cpu = figure(`${name} CPU`, 'ms', samples.cpuMs, 'CPU time of the same');
      figures.push(wall, cpu);
      return { wall, cpu };
    };
    const paths = await measure(
      'warm read+validate',
      () => loadCatalogFromPaths([dir]),
      'loadCatalogFromPaths in this process, after a warm-up run',
    );
    const build = await measure(
      'warm buildCatalog',
      () => buildCatalog(fleet.files),
      'pure validation of the texts already in memory',
    );
    figures.push(
      figure(
        'throughput',
        'services/s',
        build.cpu.samples.map((ms) => services / (ms / 1000)),
        'services validated per CPU second by warm buildCatalog',
        'higher',
      ),
    );
    // Ratios of CPU times: they hold when other processes compete for the CPUs.
    const ratios: Ratio[] = [
      ratio(
        'cold / warm',
        coldCpu,
        paths.cpu,
        'CPU a fresh process spends on JIT warm-up and first allocations',
      ),
      ratio('read / validate', paths.cpu, build.cpu, 'reading the files on top of validating them'),
    ];

    if (bench.values['breakdown'] === true) {
      log('breakdown: YAML parsing alone, then parsing and schema checks');
      const yamlOnly = await measure(
        'YAML parse only',
        () => fleet.files.map((file) => parseAllDocuments(file.text)),
        'yaml parseAllDocuments of every file, nothing else: a floor',
      );
      const loadOnly = await measure(
        'parse + schema',
        () => loadManifests(fleet.files),
        'loadManifests: YAML, toJS and zod shape checks; no normalisation or cross-checks',
      );
      ratios.push(
        ratio('YAML share', yamlOnly.cpu, build.cpu, 'share of buildCatalog spent parsing YAML'),
        ratio(
          'parse+schema share',
          loadOnly.cpu,
          build.cpu,
          'share of buildCatalog before normalisation and cross-checks',
        ),
      );
    }

    if (cold.median > SLOW_MS && bench.values['profile'] !== true)
      notes.push(`Cold validation takes over ${SLOW_MS / 1000} s; run with --profile for the hot spots.`);
    if (bench.values['profile'] === true) notes.push(...(await profile(dir, log)));
    notes.push('No peer: no other tool validates sextant.dev/v1 manifests.');
    if (bench.values['keep'] === true) notes.push(`Catalog kept in ${dir}`);

    return {
      benchmark: 'catalog',
      description,
      params: { services, seed, runs },
      environment: finishEnvironment(machine),
      input: { ...fleet.counts },
      figures,
      peers: [],
      ratios,
      notes,
      startedAt: startedAt.toISOString(),
      durationMs: Date.now() - startedAt.getTime(),
    };
  } finally {
    if (bench.values['keep'] !== true) await rm(dir, { recursive: true, force: true });
  }
}

async function writeFleet(dir: string, files: readonly SourceFile[]): Promise<void> {
  for (const file of files) {
    const path = join(dir, file.path);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file.text);
  }
}

/** A benchmark of a catalog with errors would measure the wrong path: refuse to time it. */
function assertValid(files: readonly SourceFile[], services: number): void {
  const { issues, catalog } = buildCatalog(files);
  const errors = issues.filter((issue) => issue.severity === 'error');
  if (errors.length > 0 || catalog.services.size !== services) {
    throw new Error(
      `the generated catalog is not valid (${errors.length} errors, ${catalog.services.size} services):\n${errors
        .slice(0, 10)
        .map(formatIssue)
        .join('\n')}`,
    );
  }
}

/** One more fresh process under --cpu-prof; the hot spots become notes. */
async function profile(dir: string, log: (message: string) => void): Promise<string[]> {
  const profileDir = await mkdtemp(join(tmpdir(), 'sextant-bench-profile-'));
  try {
    log('profiling one fresh process');
    const name = 'validate.cpuprofile';
    const child = await runProcess(process.execPath, [
      '--cpu-prof',
      `--cpu-prof-dir=${profileDir}`,
      `--cpu-prof-name=${name}`,
      CHILD,
      dir,
    ]);
    readChildReport<ChildReport>(child);
    const spots = await hotSpots(join(profileDir, name), 15);
    return [
      'Hot spots of one cold run (self time; total includes callees):',
      ...spots.map(
        (spot) =>
          `  ${formatNumber(spot.selfPercent).padStart(5)} % self ${formatNumber(spot.selfMs).padStart(6)} ms, total ${formatNumber(spot.totalPercent).padStart(5)} %  ${spot.function}  ${spot.location}`,
      ),
    ];
  } finally {
    await rm(profileDir, { recursive: true, force: true });
  }
}

function positiveInteger(value: string | boolean | undefined, flag: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 1) throw new Error(`--${flag} must be a positive integer`);
  return number;
}
