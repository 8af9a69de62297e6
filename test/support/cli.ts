/** Runs the `sextant` CLI in-process with captured streams, the way its unit tests drive it. */

import type { Io } from '../../src/cli/io.ts';
import { runCli } from '../../src/cli/main.ts';

/** What one CLI invocation printed and returned. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** Every question an interactive command asked, in order (only with `answers`). */
  questions: string[];
}

export interface CliRunOptions {
  /** The Io's working directory; default `process.cwd()`. */
  cwd?: string;
  /** The environment the command sees; default empty, so the caller's shell cannot leak in. */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Answers typed at a terminal, consumed in order. Without them the command sees no
   * terminal (as under CI); a question beyond the last answer fails the run loudly.
   */
  answers?: readonly string[];
}

/**
 * Runs `sextant ...args` through `runCli` and captures its output.
 * @example const { code, stdout } = await runSextant(['validate', dir, '--format', 'json']);
 */
export async function runSextant(args: readonly string[], options: CliRunOptions = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const questions: string[] = [];
  const io: Io = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    cwd: options.cwd ?? process.cwd(),
    env: options.env ?? {},
  };
  if (options.answers) {
    const queue = [...options.answers];
    io.prompt = async (question) => {
      questions.push(question);
      const answer = queue.shift();
      if (answer === undefined) throw new Error(`unexpected question (no answers left): ${question}`);
      return answer;
    };
  }
  const code = await runCli([...args], io);
  return { code, stdout, stderr, questions };
}
