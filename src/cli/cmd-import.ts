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
import { exportOpenSlo, formatNote, importOpenSlo, sortNotes } from '../interop/openslo/index.ts';
import { loadCatalog } from './cmd-catalog.ts';
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

export const importOpenSloCommand: Command = {
  name: 'import openslo',
  summary: 'Turn OpenSLO v1 documents (Service, SLO, SLI, DataSource, AlertPolicy, ...) into manifests.',
  usage: `sextant import openslo FILE_OR_DIR... --out DIR [--force] [--dry-run]

  Inline and referenced SLIs and alert policies, ratio and threshold metrics, all three
  budgeting methods, rolling and calendar windows. Whatever cannot be mapped is reported
  with file:line:column, never dropped silently.
  --out       directory for the Sextant manifests
  --force     overwrite existing files
  --dry-run   print what would be written, write nothing`,
  async run(args, io) {
    const { values, positionals } = parseFlags(args, importFlags);
    if (positionals.length === 0) throw new UsageError('give at least one OpenSLO file or directory');
    const out = requireOut(values.out, values['dry-run']);
    const { files: inputs, problems } = await readSourceFiles(positionals);
    for (const problem of problems) io.stderr(`${problem.path}: cannot read: ${problem.message}\n`);
    const imported = importOpenSlo(inputs);
    for (const note of sortNotes(imported.notes)) io.stdout(`${formatNote(note)}\n`);
    await finish(imported.files, out, values, io, `${inputs.length} OpenSLO file(s)`);
    return problems.length > 0 || inputs.length === 0 ? EXIT.invalid : EXIT.ok;
  },
};

export const exportOpenSloCommand: Command = {
  name: 'export openslo',
  summary: 'Write a catalog as OpenSLO v1 (Sextant-only meaning kept in sextant.dev/* annotations).',
  usage: `sextant export openslo CATALOG_DIR... [--out DIR] [--force]

  Without --out, prints the documents to stdout separated by ---.`,
  async run(args, io) {
    const { values, positionals } = parseFlags(args, { out: { type: 'string' }, force: { type: 'boolean' } });
    if (positionals.length === 0) throw new UsageError('give the catalog directory to export');
    const catalog = await loadCatalog(positionals, io);
    if (!catalog) return EXIT.invalid;
    const exported = exportOpenSlo(catalog);
    for (const note of sortNotes(exported.notes)) io.stderr(`${formatNote(note)}\n`);
    if (values.out === undefined) {
      io.stdout(exported.files.map((file) => `# ${file.path}\n${file.text}`).join('---\n'));
      return EXIT.ok;
    }
    const { written, skipped } = await writeManifestFiles(values.out, exported.files, {
      overwrite: values.force === true,
    });
    for (const path of skipped)
      io.stderr(`kept existing ${relative(io.cwd, path)} (use --force to overwrite)\n`);
    io.stderr(`wrote ${written.length} OpenSLO file(s) to ${values.out}\n`);
    return EXIT.ok;
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
