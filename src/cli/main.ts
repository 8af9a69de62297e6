/** The `sextant` command line: dispatch, help, and the one place where errors become exit codes. */

import { toError } from '../util/index.ts';
import { type Command, EXIT, type Io, UsageError } from './io.ts';

/**
 * Commands that run as long-lived services, each loaded alone. A unit runs for months
 * beside production; the module graph of every other command (catalog import and export,
 * OpenSLO, Backstage, rules, the hub) would stay resident in it for nothing, and loading
 * it would slow every start.
 */
const SERVICES: ReadonlyMap<string, () => Promise<Command>> = new Map([
  ['unit', async () => (await import('./cmd-unit.ts')).unitCommand],
]);

/** Every command, loaded on first use (see `SERVICES`). */
async function allCommands(): Promise<readonly Command[]> {
  return (await import('./commands.ts')).COMMANDS;
}

/** Runs `sextant` with arguments; returns the exit code. Used by tests in-process. */
export async function runCli(argv: string[], io: Io): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
    const topic = first === 'help' ? rest.join(' ') : '';
    const commands = await allCommands();
    const command = topic ? findCommand(commands, topic.split(' ')) : undefined;
    io.stdout(command ? `${command.command.usage}\n` : overview(commands));
    return first === undefined ? EXIT.usage : EXIT.ok;
  }
  if (first === '--version' || first === 'version') {
    io.stdout(`sextant ${await version()}\n`);
    return EXIT.ok;
  }
  const service = SERVICES.get(first);
  const found = service ? { command: await service(), words: 1 } : findCommand(await allCommands(), argv);
  if (!found) {
    io.stderr(`sextant: unknown command "${argv.slice(0, 2).join(' ')}"\n\n${overview(await allCommands())}`);
    return EXIT.usage;
  }
  const args = argv.slice(found.words);
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(`${found.command.usage}\n`);
    return EXIT.ok;
  }
  try {
    return await found.command.run(args, io);
  } catch (thrown) {
    if (thrown instanceof UsageError) {
      io.stderr(`sextant ${found.command.name}: ${thrown.message}\n\nusage: ${found.command.usage}\n`);
      return EXIT.usage;
    }
    const error = toError(thrown);
    io.stderr(`sextant ${found.command.name}: ${error.message}\n`);
    if (io.env['SEXTANT_DEBUG']) io.stderr(`${error.stack ?? ''}\n`);
    return EXIT.invalid;
  }
}

function findCommand(
  commands: readonly Command[],
  argv: string[],
): { command: Command; words: number } | undefined {
  const two = argv.slice(0, 2).join(' ');
  const byTwo = commands.find((command) => command.name === two);
  if (byTwo) return { command: byTwo, words: 2 };
  const byOne = commands.find((command) => command.name === argv[0]);
  return byOne ? { command: byOne, words: 1 } : undefined;
}

function overview(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return `sextant: SLOs, error budgets and burn-rate alerts from one YAML file per service.

usage: sextant <command> [options]   (sextant help <command> for details)

${commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`).join('\n')}
`;
}

async function version(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** The process's own streams and environment. */
export function processIo(): Io {
  const io: Io = {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    cwd: process.cwd(),
    env: process.env,
  };
  if (process.stdin.isTTY) {
    io.prompt = async (question) => {
      const { createInterface } = await import('node:readline/promises');
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
    };
  }
  return io;
}

if (import.meta.main) {
  const code = await runCli(process.argv.slice(2), processIo());
  process.exitCode = code;
}
