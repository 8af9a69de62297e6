/**
 * An integrity check of a SQLite database that neither blocks nor endangers its owner:
 * SQLite's `PRAGMA quick_check` (every page of every b-tree: structure, free list, cell
 * bounds, NOT NULL and CHECK constraints; unlike `integrity_check` it does not match
 * index entries to their rows) on a read-only connection of its own, in a child process.
 *
 * Why a child process: the check reads the whole file, O(size). Measured on a 1.07 GB
 * count store (7,000 series x 28 days, `benchmark.ts --keep`), 2 vCPUs, virtual disk: 1.0-1.5 s
 * with the file in the page cache, 10-16 s after `echo 3 > /proc/sys/vm/drop_caches`
 * (`integrity_check`, which also matches index entries to rows: 3.5 s warm); the checking
 * process peaks at 46 MiB resident and exits. `node:sqlite` is synchronous, so on the
 * owner's thread the check would stop ingest for that long; a worker thread could not be
 * stopped mid-statement (it ends when `sqlite3_step` returns), which would hold a shutdown
 * for as long, and a crash on a damaged file would take the owner down. A child is killed
 * at once and fails alone. In WAL mode the check reads a snapshot while the owner writes.
 */

/** What the check found. */
export interface IntegrityReport {
  /** True when SQLite found nothing wrong. */
  ok: boolean;
  /** SQLite's findings (at most `maxProblems`), e.g. `Tree 2 page 51 cell 54: Extends off end of page`. */
  problems: string[];
  /** How long the check took, in the checking process. */
  durationMs: number;
}

/** Options of `checkSqliteIntegrity`. */
export interface IntegrityOptions {
  /** At most this many findings are reported; default 20. */
  maxProblems?: number;
  /** Aborting kills the check. */
  signal?: AbortSignal;
}

/**
 * The checking process: opens the file read-only, runs `quick_check` and prints one JSON
 * line. A file too damaged to read fails the statement with SQLITE_CORRUPT or
 * SQLITE_NOTADB; that is a finding, not a failure to check.
 */
const CHECKER = `
const { DatabaseSync } = require('node:sqlite');
const [path, maxProblems] = process.argv.slice(-2);
const started = performance.now();
let db;
let answer;
try {
  db = new DatabaseSync(path, { readOnly: true });
  db.exec('PRAGMA busy_timeout = 5000');
  const rows = db.prepare('PRAGMA quick_check(' + Number(maxProblems) + ')').all();
  const problems = rows.map((row) => String(Object.values(row)[0]));
  answer = { kind: 'checked', problems: problems.length === 1 && problems[0] === 'ok' ? [] : problems };
} catch (error) {
  const corrupt = error.errcode === 11 || error.errcode === 26 || /malformed|not a database/i.test(error.message);
  answer = corrupt ? { kind: 'checked', problems: [error.message] } : { kind: 'error', message: error.message };
} finally {
  try { db?.close(); } catch {}
}
process.stdout.write(JSON.stringify({ ...answer, durationMs: performance.now() - started }) + '\\n');
`;

/**
 * Checks the database at `path` in a child process (module comment); returns what SQLite
 * found, or why the check could not run (the file cannot be opened, the child failed, the
 * check was aborted).
 * @example const checked = await checkSqliteIntegrity('data/sextant-unit.db');
 */
export function checkSqliteIntegrity(
  path: string,
  options: IntegrityOptions = {},
): Promise<{ ok: true; value: IntegrityReport } | { ok: false; message: string }> {
  const maxProblems = Math.max(1, Math.floor(options.maxProblems ?? 20));
  // Loaded when a check runs: an import would load child_process into every process
  // that opens a store (about 0.7 MB resident next to node:http, 2.6 MB without).
  const { spawn } = process.getBuiltinModule('node:child_process');
  const { setPriority } = process.getBuiltinModule('node:os');
  return new Promise((resolve) => {
    if (options.signal?.aborted) {
      resolve({ ok: false, message: 'the integrity check was aborted' });
      return;
    }
    const child = spawn(
      process.execPath,
      ['--no-warnings', '--input-type=commonjs', '-e', CHECKER, '--', path, String(maxProblems)],
      { stdio: ['ignore', 'pipe', 'pipe'], signal: options.signal, killSignal: 'SIGKILL' },
    );
    // Best effort: the check is background work; ingest and evaluation come first.
    if (child.pid !== undefined) {
      try {
        setPriority(child.pid, 19);
      } catch {
        // not permitted here: run at normal priority
      }
    }
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < 4000) stderr += chunk;
    });
    child.once('error', (error) => {
      resolve({
        ok: false,
        message:
          error.name === 'AbortError'
            ? 'the integrity check was aborted'
            : `cannot run the integrity check: ${error.message}`,
      });
    });
    child.once('close', (code, signal) => {
      let answer: { kind: string; problems?: unknown; message?: unknown; durationMs?: unknown } | undefined;
      try {
        answer = JSON.parse(stdout.trim());
      } catch {
        answer = undefined;
      }
      if (answer?.kind === 'checked' && Array.isArray(answer.problems)) {
        const problems = answer.problems.map(String);
        resolve({
          ok: true,
          value: { ok: problems.length === 0, problems, durationMs: Number(answer.durationMs) || 0 },
        });
      } else if (answer?.kind === 'error') {
        resolve({ ok: false, message: `cannot check ${path}: ${String(answer.message)}` });
      } else {
        const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
        resolve({ ok: false, message: `the integrity check ${how}: ${stderr.trim().slice(0, 500)}` });
      }
    });
  });
}
