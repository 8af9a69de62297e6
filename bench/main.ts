/**
 * `npm run bench -- NAME [--json] [--runs N] [flags]` runs `bench/NAME.ts`; without NAME it
 * lists the benchmarks. The report is a table on stdout, or with --json exactly one JSON
 * object on stdout; progress goes to stderr. Exit codes: 0 done, 1 the benchmark failed,
 * 2 usage error.
 */

import { readdir, readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { type BenchModule, type BenchOptions, type BenchResult, formatReport } from './harness.ts';

/** Files in bench/ that are never benchmarks (helpers may also sit here or in bench/support/). */
const NOT_BENCHMARKS = new Set(['main', 'harness']);
const DEFAULT_RUNS = 5;

/** A loaded benchmark; `run` may come from a module written before the harness (see `runLoose`). */
interface Loaded {
  name: string;
  description: string;
  module: Partial<BenchModule> & { run: (options: never) => Promise<unknown> };
}

/** Every bench/*.ts that exports `run`; other files there are helpers. */
async function benchmarks(): Promise<Loaded[]> {
  const entries = await readdir(new URL('./', import.meta.url), { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => entry.name.slice(0, -'.ts'.length))
    .filter((name) => !NOT_BENCHMARKS.has(name))
    .sort();
  const loaded = await Promise.all(names.map(load));
  return loaded.filter((benchmark) => benchmark !== undefined);
}

async function load(name: string): Promise<Loaded | undefined> {
  const url = new URL(`./${name}.ts`, import.meta.url);
  const module = (await import(url.href)) as Partial<BenchModule>;
  if (typeof module.run !== 'function') return undefined;
  const description = typeof module.description === 'string' ? module.description : await firstDocLine(url);
  return { name, description, module: module as Loaded['module'] };
}

/** The first line of a file's leading JSDoc, for modules that export no description. */
async function firstDocLine(url: URL): Promise<string> {
  const text = await readFile(url, 'utf8');
  const line = /^\/\*\*\s*\n?\s*\*?\s*(.+)$/m.exec(text)?.[1] ?? '';
  return line.replace(/\*\/$/, '').trim();
}

async function list(json: boolean): Promise<void> {
  const all = (await benchmarks()).map(({ name, description }) => ({ name, description }));
  if (json) {
    process.stdout.write(`${JSON.stringify({ benchmarks: all })}\n`);
    return;
  }
  const width = Math.max(0, ...all.map((b) => b.name.length));
  process.stdout.write(
    `usage: npm run bench -- NAME [--json] [--runs N] [--help]\n\n${all
      .map((b) => `  ${b.name.padEnd(width)}  ${b.description}`)
      .join('\n')}\n`,
  );
}

function usage(benchmark: Loaded): string {
  const own = Object.entries(benchmark.module.options ?? {}).map(([flag, option]) => {
    const spelled = option.type === 'string' ? `--${flag} ${flag.toUpperCase()}` : `--${flag}`;
    const fallback =
      option.type === 'string' && option.default !== undefined ? ` (default ${option.default})` : '';
    return `  ${spelled.padEnd(20)} ${option.description}${fallback}`;
  });
  return `usage: npm run bench -- ${benchmark.name} [--json] [--runs N] [flags]\n\n${benchmark.description}\n\n  ${'--json'.padEnd(20)} print exactly one JSON object on stdout\n  ${'--runs N'.padEnd(20)} measured repetitions (default ${DEFAULT_RUNS})\n${own.join('\n')}\n`;
}

function isBenchResult(value: unknown): value is BenchResult {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as BenchResult).benchmark === 'string' &&
    Array.isArray((value as BenchResult).figures)
  );
}

async function main(argv: string[]): Promise<number> {
  const name = argv[0];
  if (name === undefined || name.startsWith('-')) {
    await list(argv.includes('--json'));
    return 0;
  }
  const all = await benchmarks();
  const benchmark = all.find((candidate) => candidate.name === name);
  if (benchmark === undefined) {
    process.stderr.write(`bench: no benchmark "${name}"; available: ${all.map((b) => b.name).join(', ')}\n`);
    return 2;
  }
  const args = argv.slice(1);
  // Modules that declare their flags get strict parsing; others parse `args` themselves.
  const declared = benchmark.module.options !== undefined;
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args,
      options: {
        json: { type: 'boolean', default: false },
        runs: { type: 'string', default: String(DEFAULT_RUNS) },
        help: { type: 'boolean', short: 'h', default: false },
        ...Object.fromEntries(
          Object.entries(benchmark.module.options ?? {}).map(([flag, option]) => [
            flag,
            option.type === 'string' && option.default !== undefined
              ? { type: option.type, default: option.default }
              : { type: option.type },
          ]),
        ),
      },
      strict: declared,
      allowPositionals: !declared,
    });
  } catch (error) {
    process.stderr.write(`bench ${name}: ${(error as Error).message}\n\n${usage(benchmark)}`);
    return 2;
  }
  const { json, runs: runsText, help, ...values } = parsed.values;
  if (help && declared) {
    process.stdout.write(usage(benchmark));
    return 0;
  }
  const runs = Number(runsText);
  if (!Number.isInteger(runs) || runs < 1) {
    process.stderr.write(`bench ${name}: --runs must be a positive integer, got "${String(runsText)}"\n`);
    return 2;
  }
  const options: BenchOptions & { args: readonly string[] } = {
    runs,
    json: json === true,
    values: values as Record<string, string | boolean | undefined>,
    log: (message) => process.stderr.write(`[${name}] ${message}\n`),
    args,
  };
  const result = await (benchmark.module.run as (options: BenchOptions) => Promise<unknown>)(options);
  // A module that returns no BenchResult has printed its own report.
  if (isBenchResult(result))
    process.stdout.write(json ? `${JSON.stringify(result)}\n` : formatReport(result));
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
}
