/** `sextant render prometheus-rules DIR [--out FILE]`: Prometheus rules for every SLO of a catalog. */

import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { renderPrometheusRules } from '../rules/index.ts';
import { loadCatalog } from './cmd-catalog.ts';
import { type Command, EXIT, parseFlags, UsageError } from './io.ts';

export const renderCommand: Command = {
  name: 'render prometheus-rules',
  summary: 'Write Prometheus recording and burn-rate alerting rules for every SLO (promtool-valid YAML).',
  usage: `sextant render prometheus-rules [PATH...] [--out FILE]

  PATH        manifest files or directories (default: ./catalog)
  --out       write the rule file here instead of standard output

Recording rules count bad and total events per window for each SLI; alerting rules
implement the multi-window, multi-burn-rate tiers, low-traffic gating, budget exhaustion
and traffic cessation. SLOs Prometheus cannot evaluate (events SLIs, ...) are listed in
the file's header; approximations are reported on standard error.`,
  async run(args, io) {
    const { values, positionals } = parseFlags(args, { out: { type: 'string' } });
    if (values.out === '') throw new UsageError('--out needs a file name');
    const paths = positionals.length > 0 ? positionals : ['catalog'];
    const catalog = await loadCatalog(
      paths.map((path) => resolve(io.cwd, path)),
      io,
    );
    if (!catalog) return EXIT.invalid;
    const { text, warnings } = renderPrometheusRules(catalog, { source: paths.join(', ') });
    for (const warning of warnings) io.stderr(`warning: ${warning}\n`);
    if (values.out === undefined) {
      io.stdout(text);
    } else {
      await writeFile(resolve(io.cwd, values.out), text, 'utf8');
      io.stderr(`wrote ${values.out}\n`);
    }
    return EXIT.ok;
  },
};
