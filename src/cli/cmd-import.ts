/** `sextant import backstage|openslo` and `sextant export openslo`: speak the ecosystem's catalog formats. */

import { relative } from 'node:path';
import { buildCatalog, formatIssue, type SourceFile } from '../catalog/index.ts';
import { readSourceFiles, writeManifestFiles } from '../catalog-files/index.ts';
import {
  collectBackstageInputsFromDisk,
  formatBackstageIssue,
  importBackstage,
  sortBackstageIssues,
} from '../interop/backstage/index.ts';
import { type Command, EXIT, type Io, parseFlags, UsageError } from './io.ts';

const importFlags = {
  out: { type: 'string' },
  force: { type: 'boolean' },
  verbose: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
} as const;

export const importBackstageCommand: Command = {
  name: 'import backstage',
  summary: 'Turn Backstage catalog-info YAML (following Locations) into services and teams.',
  usage: `sextant import backstage FILE_OR_DIR... --out DIR [--force] [--dry-run] [--verbose]

  Components and Resources become Services, Groups become Teams (with their Users as
  members); dependsOn, consumesApis/providesApis, owners, systems and links are kept.
  Entities that cannot be imported are reported with file:line:column.
  --out       directory for the Sextant manifests (one file per entity)
  --force     overwrite existing files (default: leave them and say so)
  --dry-run   print what would be written, write nothing
  --verbose   also print informational notes (defaulted tiers, skipped kinds)`,
  async run(args, io) {
    const { values, positionals } = parseFlags(args, importFlags);
    if (positionals.length === 0) throw new UsageError('give at least one Backstage file or directory');
    const out = requireOut(values.out, values['dry-run']);
    const collected = await collectBackstageInputsFromDisk(positionals);
    const imported = importBackstage(collected.inputs);
    const issues = sortBackstageIssues([...collected.issues, ...imported.issues]);
    for (const issue of issues) {
      if (issue.severity === 'info' && !values.verbose) continue;
      (issue.severity === 'error' ? io.stderr : io.stdout)(`${formatBackstageIssue(issue)}\n`);
    }
    const hidden = issues.filter((issue) => issue.severity === 'info').length;
    if (hidden > 0 && !values.verbose) io.stdout(`(${hidden} informational notes; --verbose shows them)\n`);
    const errors = issues.filter((issue) => issue.severity === 'error').length;
    await finish(imported.files, out, values, io, `${collected.inputs.length} Backstage file(s)`);
    return errors > 0 ? EXIT.invalid : EXIT.ok;
  },
};

function requireOut(out: string | undefined, dryRun: boolean | undefined): string | undefined {
  if (out === undefined && !dryRun) throw new UsageError('--out DIR is required (or --dry-run)');
  return out;
}

/** Validates what an importer produced, then writes it (or prints it on --dry-run). */
export async function finish(
  files: readonly SourceFile[],
  out: string | undefined,
  flags: { force?: boolean | undefined; 'dry-run'?: boolean | undefined },
  io: Io,
  from: string,
): Promise<void> {
  // Validate the result together with what is already in --out, so references to
  // existing teams resolve; only the new files' issues are shown.
  const existing = out === undefined ? [] : (await readSourceFiles([out]).catch(() => ({ files: [] }))).files;
  const newPaths = new Set(files.map((file) => file.path));
  const build = buildCatalog([
    ...existing.filter((file) => !newPaths.has(relative(out ?? '', file.path))),
    ...files,
  ]);
  const ownIssues = build.issues.filter((issue) => issue.file !== undefined && newPaths.has(issue.file));
  if (ownIssues.length > 0) {
    io.stdout(`\nThe imported manifests validate with ${ownIssues.length} issue(s):\n`);
    for (const issue of ownIssues) io.stdout(`${formatIssue(issue)}\n`);
  }
  if (flags['dry-run'] || out === undefined) {
    for (const file of files) io.stdout(`--- # ${file.path}\n${file.text}`);
    io.stdout(`dry run: ${files.length} manifest file(s) from ${from}, nothing written\n`);
    return;
  }
  const { written, skipped } = await writeManifestFiles(out, files, { overwrite: flags.force === true });
  for (const path of skipped)
    io.stdout(`kept existing ${relative(io.cwd, path)} (use --force to overwrite)\n`);
  io.stdout(
    `wrote ${written.length} manifest file(s) from ${from} to ${out}; next: sextant validate ${out}\n`,
  );
}
