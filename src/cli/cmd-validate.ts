/** `sextant validate [paths...]`: every problem of a catalog at once, as text or JSON. */

import { type CatalogIssue, formatIssue, ISSUE_CODES } from '../catalog/index.ts';
import { loadCatalogFromPaths } from '../catalog-files/index.ts';
import { type Command, EXIT, formatFlag, parseFlags } from './io.ts';

export const validateCommand: Command = {
  name: 'validate',
  summary: 'Check catalog files: schema, references, cycles, objectives (exit 1 on errors).',
  usage: `sextant validate [PATH...] [--format text|json] [--strict] [--codes]

  PATH        manifest files or directories (default: ./catalog)
  --format    text (default; file:line:column: severity code: message) or json
  --strict    treat warnings as errors
  --codes     print every issue code with its meaning and exit`,
  async run(args, io) {
    const { values, positionals } = parseFlags(args, {
      format: { type: 'string' },
      strict: { type: 'boolean' },
      codes: { type: 'boolean' },
    });
    const format = formatFlag(values.format, ['text', 'json'] as const, 'text');
    if (values.codes) {
      if (format === 'json') io.stdout(`${JSON.stringify(ISSUE_CODES, null, 2)}\n`);
      else
        for (const [code, meaning] of Object.entries(ISSUE_CODES))
          io.stdout(`${code.padEnd(28)} ${meaning}\n`);
      return EXIT.ok;
    }
    const paths = positionals.length > 0 ? positionals : ['catalog'];
    const { build, files, problems } = await loadCatalogFromPaths(paths);
    const readIssues: CatalogIssue[] = problems.map((problem) => ({
      code: 'manifest.not-object',
      severity: 'error',
      message: `cannot read: ${problem.message}`,
      path: [],
      file: problem.path,
    }));
    if (files.length === 0 && problems.length === 0) {
      readIssues.push({
        code: 'manifest.not-object',
        severity: 'error',
        message: 'no .yaml or .yml files found',
        path: [],
        file: paths.join(', '),
      });
    }
    const issues = [...readIssues, ...build.issues];
    const errors = issues.filter((issue) => issue.severity === 'error').length;
    const warnings = issues.length - errors;
    const failed = errors > 0 || (values.strict === true && warnings > 0);
    if (format === 'json') {
      const { catalog } = build;
      io.stdout(
        `${JSON.stringify(
          {
            valid: !failed,
            files: files.length,
            counts: {
              services: catalog.services.size,
              teams: catalog.teams.size,
              journeys: catalog.journeys.size,
              tenants: catalog.tenants.size,
              slos:
                [...catalog.services.values()].reduce((n, s) => n + s.slos.length, 0) +
                [...catalog.journeys.values()].reduce((n, j) => n + j.slos.length, 0),
            },
            errors,
            warnings,
            issues,
          },
          null,
          2,
        )}\n`,
      );
    } else {
      for (const issue of issues)
        (issue.severity === 'error' ? io.stderr : io.stdout)(`${formatIssue(issue)}\n`);
      const { catalog } = build;
      const summary = `${files.length} file(s): ${catalog.services.size} services, ${catalog.teams.size} teams, ${catalog.journeys.size} journeys, ${catalog.tenants.size} tenants; ${errors} error(s), ${warnings} warning(s)`;
      (failed ? io.stderr : io.stdout)(`${failed ? 'invalid' : 'valid'}: ${summary}\n`);
    }
    return failed ? EXIT.invalid : EXIT.ok;
  },
};
