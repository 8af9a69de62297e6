/** `sextant unit`: run the Observability Unit until SIGTERM or SIGINT. */

import { readFile } from 'node:fs/promises';
import { CONFIG_OVERRIDES, resolveUnitConfig } from '../unit/config.ts';
import { startUnit } from '../unit/unit.ts';
import { type Command, EXIT, parseFlags } from './io.ts';

const flagOptions = Object.fromEntries([
  ['config', { type: 'string' }],
  ...CONFIG_OVERRIDES.map((override) => [override.flag, { type: 'string' }]),
]) as Record<string, { type: 'string' }>;

export const unitCommand: Command = {
  name: 'unit',
  summary: 'Run the Observability Unit: ingest, exact SLI counts, SLO evaluation and alerts.',
  usage: `sextant unit [--config unit.yaml] [flags]

  Every setting can come from the file, a flag or an environment variable (flags win):
${CONFIG_OVERRIDES.map((o) => `  --${o.flag.padEnd(20)} ${o.env}`).join('\n')}
  Stops gracefully on SIGTERM/SIGINT: stops accepting, finishes deliveries, closes the store.
  See docs/unit.md for the configuration file.`,
  async run(args, io) {
    const { values } = parseFlags(args, flagOptions, false);
    const path = values['config'] as string | undefined;
    let file: { path: string; text: string } | undefined;
    if (path !== undefined) {
      try {
        file = { path, text: await readFile(path, 'utf8') };
      } catch (error) {
        io.stderr(`sextant unit: cannot read ${path}: ${(error as Error).message}\n`);
        return EXIT.invalid;
      }
    }
    const flags = Object.fromEntries(
      CONFIG_OVERRIDES.map((o) => [o.flag, values[o.flag] as string | undefined]),
    );
    const config = resolveUnitConfig({ ...(file ? { file } : {}), flags, env: io.env });
    if (!config.ok) {
      for (const issue of config.issues) io.stderr(`${issue.where}: ${issue.message}\n`);
      return EXIT.invalid;
    }
    const started = await startUnit(config.value);
    if (!started.ok) {
      io.stderr(`sextant unit: ${started.message}\n`);
      return EXIT.invalid;
    }
    const unit = started.value;
    io.stderr(`sextant unit ${config.value.unit.id} listening on ${unit.url}\n`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        resolve();
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
    await unit.close();
    return EXIT.ok;
  },
};
