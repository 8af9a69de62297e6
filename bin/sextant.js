#!/usr/bin/env node
// The `sextant` bin. Sources are TypeScript run by Node's type stripping (Node >= 24).
import module from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * V8 flags `sextant unit` runs with, each unless whoever started us chose it (command line
 * or NODE_OPTIONS). The unit is a long-lived service whose live heap is about 20 MB.
 * - The young generation: each remote-write request leaves short-lived garbage, and V8,
 *   sizing it from the machine's memory, grows it to 64 MiB semi-spaces on a large
 *   machine: over 100 MB of resident memory that only postpones collecting that garbage.
 *   Ingest allocates about 150 bytes per sample, so 2 MiB keeps throughput within the
 *   noise of larger sizes; at 1 MiB it falls by about a tenth.
 * - No Maglev (V8's mid-tier compiler): its code and compile zones kept about 10 MB
 *   resident; Ignition, Sparkplug and TurboFan alone reach the same ingest throughput.
 * Both measured with `npm run bench -- ingest`.
 */
const UNIT_NODE_FLAGS = [
  { flag: '--max-semi-space-size=2', chosen: /^--(max-semi-space-size|semi-space-growth-factor)\b/ },
  { flag: '--no-maglev', chosen: /^--(no-)?maglev$/ },
];

/**
 * glibc malloc settings `sextant unit` runs with, each unless set in the environment
 * (the variable itself, or any `glibc.malloc` tunable in GLIBC_TUNABLES). Without them
 * glibc keeps memory the unit has freed: every thread that allocates gets its own arena
 * (V8's compiler and GC threads, libuv's pool), and once a large buffer (a request body,
 * a decompressed batch) is freed, the threshold above which allocations get their own
 * mapping rises to its size, so later bodies come from the heap and leave it fragmented.
 * - One arena for all threads: the unit's threads allocate little, and rarely at once.
 * - Allocations of 64 KiB and more mapped on their own, returned to the system when freed.
 * - The heap's free top returned at once instead of above 128 KiB.
 * Together about 8 MB less peak RSS under `npm run bench -- ingest`, same throughput.
 * Other C libraries ignore these variables.
 */
const UNIT_MALLOC_ENV = {
  MALLOC_ARENA_MAX: '1',
  MALLOC_MMAP_THRESHOLD_: '65536',
  MALLOC_TRIM_THRESHOLD_: '0',
};

/** The unit flags nobody chose, to add. */
function unitFlagsToAdd() {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return UNIT_NODE_FLAGS.filter(({ chosen }) => !given.some((flag) => chosen.test(flag))).map(
    ({ flag }) => flag,
  );
}

/** The unit's malloc settings nobody chose, to add to the environment. */
function unitEnvToAdd() {
  if (/\bglibc\.malloc\./.test(process.env.GLIBC_TUNABLES ?? '')) return {};
  return Object.fromEntries(
    Object.entries(UNIT_MALLOC_ENV).filter(([name]) => process.env[name] === undefined),
  );
}

// V8 and glibc read these once, when the process starts: re-execute in place (same pid,
// so service managers and signals are unaffected) with them. Not where execve is missing.
// After the re-execution every flag and variable is given, so this happens once.
const isUnit = process.argv[2] === 'unit';
const flagsToAdd = isUnit ? unitFlagsToAdd() : [];
const envToAdd = isUnit ? unitEnvToAdd() : {};
if ((flagsToAdd.length > 0 || Object.keys(envToAdd).length > 0) && typeof process.execve === 'function') {
  process.execve(
    process.execPath,
    [
      process.execPath,
      ...flagsToAdd,
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      ...process.argv.slice(2),
    ],
    { ...process.env, ...envToAdd },
  );
}

// Keep the stripped TypeScript and V8's compiled code between runs: a start then loads
// no TypeScript stripper (about 17 MB resident) and compiles nothing it compiled before.
// NODE_COMPILE_CACHE, when set, has already enabled the cache in its own directory.
if (process.env.NODE_COMPILE_CACHE === undefined) {
  const cacheHome = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  module.enableCompileCache?.(join(cacheHome, 'sextant', 'compile-cache'));
}

const { processIo, runCli } = await import('../src/cli/main.ts');
process.exitCode = await runCli(process.argv.slice(2), processIo());
