/** The CLI's view of the outside world, injectable so commands are tested in-process. */

import type { ParseArgsConfig } from 'node:util';

// Not `import { parseArgs } from 'node:util'`: an ESM import of a built-in reads every
// export, and node:util's lazy ones load about 30 internal modules (worker threads, diffing,
// colours), about 1.5 MB resident in every command, the long-running unit included.
const { parseArgs } = process.getBuiltinModule('node:util');

/** Streams and environment a command may use. */
export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Lines typed by the user, for interactive commands; undefined when stdin is not a terminal. */
  prompt?: (question: string) => Promise<string>;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
}

/** A subcommand: `sextant <name> ...`. Returns the process exit code. */
export interface Command {
  /** One or two words, e.g. `validate` or `import openslo`. */
  name: string;
  summary: string;
  usage: string;
  run(args: string[], io: Io): Promise<number>;
}

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, invalid: 1, usage: 2 } as const;

/** Thrown for bad flags or arguments; main turns it into exit code 2 with the usage. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** `parseArgs` with errors turned into UsageError that names the offending flag. */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: T,
  allowPositionals = true,
) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
}

/** Validates a `--format` value against the allowed ones. */
export function formatFlag<F extends string>(
  value: string | undefined,
  allowed: readonly F[],
  fallback: F,
): F {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as F;
  throw new UsageError(`--format must be one of ${allowed.join(', ')}; got "${value}"`);
}
