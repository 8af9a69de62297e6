#!/usr/bin/env node
// The `sextant` bin. Sources are TypeScript run by Node's type stripping (Node >= 24).
import module from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * V8 flags `sextant unit` runs with. The unit is a long-lived service whose live heap is
 * about 20 MB, while each remote-write request leaves short-lived garbage. V8 sizes the
 * young generation from the machine's memory and, under a steady stream of requests,
 * grows it to 64 MiB semi-spaces on a large machine: over 100 MB of resident memory that
 * only postpones collecting that garbage. 4 MiB keeps ingest throughput within the noise
 * of larger sizes (`npm run bench -- ingest`); 1-2 MiB collects so often that a batch's
 * objects outlive two collections and fill the old generation instead.
 */
const UNIT_NODE_FLAGS = ['--max-semi-space-size=4'];

/** Whether the young generation was sized by whoever started us (command line or NODE_OPTIONS). */
function youngGenerationChosen() {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return given.some((flag) => /^--(max-semi-space-size|semi-space-growth-factor)/.test(flag));
}

// V8 reads heap limits once, when the process starts: re-execute in place (same pid, so
// service managers and signals are unaffected) with the flags. Not where execve is missing.
if (process.argv[2] === 'unit' && !youngGenerationChosen() && typeof process.execve === 'function') {
  process.execve(process.execPath, [
    process.execPath,
    ...UNIT_NODE_FLAGS,
    ...process.execArgv,
    fileURLToPath(import.meta.url),
    ...process.argv.slice(2),
  ]);
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
