/**
 * `sextant init`: the paved road for a new service. Asks for what is missing (or takes
 * flags in CI), writes a commented manifest from an archetype and a tier, then validates
 * it, against the existing catalog when there is one.
 */

import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import {
  buildCatalog,
  type CatalogBuild,
  type CatalogIssue,
  didYouMean,
  formatIssue,
  type SourceFile,
  TIERS,
  type Tier,
} from '../catalog/index.ts';
import { readSourceFiles } from '../catalog-files/index.ts';
import {
  ARCHETYPES,
  type Archetype,
  checkDependsOn,
  checkScaffoldField,
  SCAFFOLD_WINDOW,
  type ScaffoldField,
  type ScaffoldInput,
  scaffoldService,
  TIER_OBJECTIVES,
} from '../init/index.ts';
import { type Command, EXIT, type Io, parseFlags, UsageError } from './io.ts';

const DEFAULT_TIER: Tier = 'medium';
const DEFAULT_ARCHETYPE: Archetype = 'http-service';
/** Wrong answers in a row before init gives up on a question. */
const MAX_ATTEMPTS = 3;

const usage = `sextant init [NAME] [--owner TEAM] [--tier TIER] [--archetype KIND] [options]

  NAME, --name     service name: a-z, 0-9 and -
  --owner          team that owns the service
  --tier           ${Object.keys(TIERS).join(' | ')} (sets the objectives)
  --archetype      ${Object.keys(ARCHETYPES).join(' | ')}
  --description    one line on what the service does
  --depends-on     services it cannot work without, comma-separated: a,b
  --job            Prometheus job label of its metrics (default: NAME)
  --runbook URL    link a runbook (nothing is linked without a URL)
  --dashboard URL  link a dashboard
  --out DIR        where NAME.yaml is written (default ./catalog)
  --catalog DIR    catalog to check the owner and dependencies against
                   (default: the --out directory when it holds manifests)
  --yes, -y        ask nothing: tier defaults to ${DEFAULT_TIER}, archetype to ${DEFAULT_ARCHETYPE}
  --force          overwrite an existing file

On a terminal, missing values are asked for; elsewhere NAME, --owner, --tier and
--archetype are required (--yes supplies the last two).
Exit: 0 written and valid, 1 not written (file exists) or written with errors, 2 usage.`;

const FLAGS = {
  name: { type: 'string' },
  owner: { type: 'string' },
  tier: { type: 'string' },
  archetype: { type: 'string' },
  description: { type: 'string' },
  'depends-on': { type: 'string' },
  job: { type: 'string' },
  runbook: { type: 'string' },
  dashboard: { type: 'string' },
  out: { type: 'string' },
  catalog: { type: 'string' },
  yes: { type: 'boolean', short: 'y' },
  force: { type: 'boolean' },
} as const;

/** The catalog init checks against: its files and what they build to. */
interface Existing {
  dir: string;
  /** Named by --catalog, rather than found in the output directory. */
  explicit: boolean;
  files: SourceFile[];
  build: CatalogBuild;
}

export const initCommand: Command = {
  name: 'init',
  summary: 'Scaffold a service manifest (SLIs, tiered SLOs, saturation points) from an archetype.',
  usage,
  async run(args, io) {
    const { values, positionals } = parseFlags(args, FLAGS);
    if (positionals.length > 1)
      throw new UsageError(`init takes one NAME; got ${positionals.length}: ${positionals.join(' ')}`);
    const positional = positionals[0];
    if (positional !== undefined && values.name !== undefined && positional !== values.name) {
      throw new UsageError(
        `the name is given twice ("${positional}" and --name "${values.name}"); give it once`,
      );
    }
    const force = values.force === true;
    const outDir = resolve(io.cwd, values.out ?? 'catalog');
    const existing = await loadExisting(values.catalog, outDir, io);

    const given = {
      name: positional ?? values.name,
      owner: values.owner,
      tier: values.tier ?? (values.yes ? DEFAULT_TIER : undefined),
      archetype: values.archetype ?? (values.yes ? DEFAULT_ARCHETYPE : undefined),
      job: values.job,
      runbook: values.runbook,
      dashboard: values.dashboard,
    } satisfies Record<ScaffoldField, string | undefined>;
    for (const [field, value] of Object.entries(given) as [ScaffoldField, string | undefined][]) {
      const found = value === undefined ? undefined : checkScaffoldField(field, value);
      if (found) throw new UsageError(`${flagOf(field)}: ${found.message}`);
    }
    const dependsOnFlag = values['depends-on'] === undefined ? undefined : splitList(values['depends-on']);

    if (given.name !== undefined) {
      // Fail before asking anything when the name is already taken.
      const taken = await nameProblem(given.name, outDir, existing, io, force);
      if (taken) {
        io.stderr(`sextant init: ${taken}; nothing written\n`);
        return EXIT.invalid;
      }
    }

    const prompt = values.yes ? undefined : io.prompt;
    if (!prompt) {
      const missing = (['name', 'owner', 'tier', 'archetype'] as const).filter(
        (field) => given[field] === undefined,
      );
      if (missing.length > 0) {
        throw new UsageError(
          `missing ${missing.map(flagOf).join(', ')} (there is no terminal to ask on${values.yes ? '' : '; --yes defaults the tier and archetype'})`,
        );
      }
    }
    // Only reached for values that are missing, which the check above rules out without a terminal.
    const ask = questioner(prompt, io);
    const name =
      given.name ??
      (await ask({
        label: 'Service name (a-z, 0-9, -)',
        check: async (answer) =>
          checkScaffoldField('name', answer)?.message ??
          (await nameProblem(answer, outDir, existing, io, force)),
      }));
    const owner = given.owner ?? (await ask(ownerQuestion(existing)));
    const tier = (given.tier ??
      (await ask({
        label: 'Tier',
        heading: `Tiers, with their availability / latency objectives over ${SCAFFOLD_WINDOW}:`,
        choices: tierChoices(),
        defaultValue: DEFAULT_TIER,
        check: (answer) => checkScaffoldField('tier', answer)?.message,
      }))) as Tier;
    const archetype = (given.archetype ??
      (await ask({
        label: 'Archetype',
        heading: 'Archetypes:',
        choices: Object.entries(ARCHETYPES).map(([value, hint]) => ({ value, hint })),
        defaultValue: DEFAULT_ARCHETYPE,
        check: (answer) => checkScaffoldField('archetype', answer)?.message,
      }))) as Archetype;
    const description =
      values.description ??
      (prompt ? await ask({ label: 'Description (optional)', optional: true, check: () => undefined }) : '');
    const dependsOn =
      dependsOnFlag ?? (prompt ? splitList(await ask(dependsOnQuestion(name, existing))) : []);

    const input: ScaffoldInput = { name, owner, tier, archetype, dependsOn };
    if (description.trim() !== '') input.description = description.trim();
    if (given.job !== undefined) input.job = given.job;
    if (given.runbook !== undefined) input.runbook = given.runbook;
    if (given.dashboard !== undefined) input.dashboard = given.dashboard;
    const scaffold = scaffoldService(input);
    if (!scaffold.ok) {
      throw new UsageError(scaffold.issues.map((found) => found.message).join('; '));
    }

    const file = join(outDir, scaffold.value.path);
    const shown = display(io.cwd, file);
    try {
      await mkdir(outDir, { recursive: true });
      await writeFile(file, scaffold.value.text, { flag: force ? 'w' : 'wx' });
    } catch (error) {
      if ((error as { code?: string }).code === 'EEXIST') {
        io.stderr(`sextant init: ${shown} already exists; nothing written (pass --force to overwrite it)\n`);
        return EXIT.invalid;
      }
      throw error;
    }

    const objectives = TIER_OBJECTIVES[tier];
    io.stdout(
      `Wrote ${shown}: ${archetype}, ${tier} tier (availability ${objectives.availabilityPercent} %, latency ${objectives.latencyPercent} % over ${SCAFFOLD_WINDOW}).\n`,
    );
    return report(io, { file, shown, text: scaffold.value.text, existing, job: input.job ?? name });
  },
};

/** Validates the written file (with the catalog when there is one) and prints issues and next steps. */
function report(
  io: Io,
  written: { file: string; shown: string; text: string; existing: Existing | undefined; job: string },
): number {
  const { file, shown, text, job } = written;
  const others = (written.existing?.files ?? []).filter((source) => resolve(io.cwd, source.path) !== file);
  // A found catalog that was only the file just overwritten is no catalog at all.
  const existing = written.existing?.explicit || others.length > 0 ? written.existing : undefined;
  const build = buildCatalog([...others, { path: shown, text }]);
  // Without a catalog, the owner and dependencies cannot be resolved; say so instead of failing.
  const unchecked: CatalogIssue['code'][] = existing ? [] : ['ref.unknown-team', 'ref.unknown-service'];
  const issues = build.issues.filter((found) => found.file === shown && !unchecked.includes(found.code));
  const errors = issues.filter((found) => found.severity === 'error');
  for (const found of issues) (found.severity === 'error' ? io.stderr : io.stdout)(`${formatIssue(found)}\n`);
  const elsewhere = build.issues.filter((found) => found.file !== shown).length;
  const against = existing
    ? `the catalog in ${display(io.cwd, existing.dir)} (${others.length} other file(s))`
    : 'nothing else';
  const counts = `${errors.length} error(s), ${issues.length - errors.length} warning(s)`;
  (errors.length > 0 ? io.stderr : io.stdout)(`Validated against ${against}: ${counts}.\n`);
  if (elsewhere > 0)
    io.stdout(`The rest of the catalog has ${elsewhere} issue(s) of its own; sextant validate lists them.\n`);
  if (!existing) io.stdout('Owner and dependencies were not checked: pass --catalog DIR to check them.\n');
  const fileDir = dirname(file);
  const validate = [existing?.dir, fileDir]
    .filter((dir): dir is string => dir !== undefined)
    .filter((dir, index, dirs) => index === 0 || !isInside(dir, dirs[0]!))
    .map((dir) => display(io.cwd, dir))
    .join(' ');
  io.stdout(
    errors.length > 0
      ? `Fix the errors in ${shown}, then run: sextant validate ${validate}\n`
      : `Next steps:
  1. Check each selector in ${shown} against your metrics (job="${job}").
  2. sextant validate ${validate}
  3. Commit the file; alerts go to the owner's on-call once it is merged.
`,
  );
  return errors.length > 0 ? EXIT.invalid : EXIT.ok;
}

/** Reads the catalog named by --catalog, or the output directory when it already holds manifests. */
async function loadExisting(flag: string | undefined, outDir: string, io: Io): Promise<Existing | undefined> {
  const dir = flag === undefined ? outDir : resolve(io.cwd, flag);
  if (flag === undefined && !(await isDirectory(dir))) return undefined;
  const { files, problems } = await readSourceFiles([dir], io.cwd);
  if (flag !== undefined) {
    const problem = problems[0];
    if (problem) throw new UsageError(`--catalog ${flag}: ${problem.message}`);
    if (files.length === 0) throw new UsageError(`--catalog ${flag} holds no .yaml or .yml files`);
  }
  if (files.length === 0) return undefined;
  const build = buildCatalog(files);
  const { services, teams, journeys, tenants } = build.catalog;
  // An output directory with no manifests in it (yet) is not a catalog to check against.
  if (flag === undefined && services.size + teams.size + journeys.size + tenants.size === 0) return undefined;
  return { dir, explicit: flag !== undefined, files, build };
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Why `name` cannot be used: a service of that name in another file, or (without --force) a file in the way. */
async function nameProblem(
  name: string,
  outDir: string,
  existing: Existing | undefined,
  io: Io,
  force: boolean,
): Promise<string | undefined> {
  const file = join(outDir, `${name}.yaml`);
  const source = existing?.build.catalog.services.get(name)?.source;
  if (source && resolve(io.cwd, source.file) !== file) {
    return `service "${name}" already exists in ${source.file}; pick another name`;
  }
  if (!force && (await exists(file)))
    return `${display(io.cwd, file)} already exists (pass --force to overwrite it)`;
  return undefined;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Each tier with its objectives and meaning, in aligned columns. */
function tierChoices(): { value: string; hint: string }[] {
  const rows = (Object.keys(TIERS) as Tier[]).map((tier) => {
    const { availabilityPercent, latencyPercent } = TIER_OBJECTIVES[tier];
    return { tier, objectives: `${availabilityPercent} % / ${latencyPercent} %` };
  });
  const width = Math.max(...rows.map((row) => row.objectives.length));
  return rows.map(({ tier, objectives }) => ({
    value: tier,
    hint: `${objectives.padEnd(width)}  ${TIERS[tier]}`,
  }));
}

function ownerQuestion(existing: Existing | undefined): Question {
  const teams = [...(existing?.build.catalog.teams.keys() ?? [])].sort();
  const question: Question = {
    label: 'Owning team',
    check: (answer) => {
      const invalid = checkScaffoldField('owner', answer);
      if (invalid) return invalid.message;
      if (teams.length > 0 && !teams.includes(answer)) {
        return `team "${answer}" is not in the catalog.${didYouMean(answer, teams)} Add its Team manifest first, or pick a listed team.`;
      }
      return undefined;
    },
  };
  if (teams.length > 0) question.heading = `Teams in the catalog: ${listed(teams)}`;
  if (teams.length === 1) question.defaultValue = teams[0]!;
  return question;
}

function dependsOnQuestion(name: string, existing: Existing | undefined): Question {
  const services = [...(existing?.build.catalog.services.keys() ?? [])]
    .filter((service) => service !== name)
    .sort();
  const question: Question = {
    label: 'Depends on, comma-separated (optional)',
    optional: true,
    check: (answer) => {
      const list = splitList(answer);
      const invalid = checkDependsOn(name, list)[0];
      if (invalid) return invalid.message;
      if (existing) {
        const unknown = list.find((service) => !services.includes(service));
        if (unknown !== undefined)
          return `service "${unknown}" is not in the catalog.${didYouMean(unknown, services)}`;
      }
      return undefined;
    },
  };
  if (services.length > 0) question.heading = `Services in the catalog: ${listed(services)}`;
  return question;
}

function listed(names: readonly string[], max = 20): string {
  return names.length <= max
    ? names.join(', ')
    : `${names.slice(0, max).join(', ')}, ... ${names.length - max} more`;
}

interface Question {
  label: string;
  /** Printed once before the question (with the choices, if any). */
  heading?: string;
  /** Printed as a numbered list; an answer may be the number or the value. */
  choices?: readonly { value: string; hint: string }[];
  defaultValue?: string;
  optional?: boolean;
  /** The problem with an answer, or undefined to accept it. */
  check: (answer: string) => string | undefined | Promise<string | undefined>;
}

/** Asks questions on `prompt`, re-asking (up to MAX_ATTEMPTS) until an answer passes its check. */
function questioner(
  prompt: ((question: string) => Promise<string>) | undefined,
  io: Io,
): (question: Question) => Promise<string> {
  return async (question) => {
    if (!prompt)
      throw new UsageError(`"${question.label}" needs an answer and there is no terminal to ask on`);
    const { choices } = question;
    if (question.heading !== undefined) io.stdout(`${question.heading}\n`);
    if (choices) {
      const width = Math.max(...choices.map((choice) => choice.value.length));
      choices.forEach((choice, index) => {
        io.stdout(`  ${index + 1}. ${choice.value.padEnd(width)}  ${choice.hint}\n`);
      });
    }
    const suffix = question.defaultValue === undefined ? '' : ` [${question.defaultValue}]`;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      let answer = (await prompt(`${question.label}${suffix}: `)).trim();
      if (answer === '' && question.defaultValue !== undefined) answer = question.defaultValue;
      if (answer === '' && question.optional) return '';
      if (choices && /^\d+$/.test(answer)) answer = choices[Number(answer) - 1]?.value ?? answer;
      const problem = answer === '' ? 'an answer is needed' : await question.check(answer);
      if (problem === undefined) return answer;
      io.stderr(`${problem}\n`);
    }
    throw new UsageError(`no valid answer for "${question.label}" after ${MAX_ATTEMPTS} attempts`);
  };
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

function flagOf(field: ScaffoldField): string {
  return field === 'name' ? 'NAME (or --name)' : `--${field}`;
}

function isInside(path: string, dir: string): boolean {
  const inner = relative(dir, path);
  return inner === '' || !(inner.startsWith('..') || isAbsolute(inner));
}

/** A path as the user would type it: relative to the working directory when inside it. */
function display(cwd: string, path: string): string {
  const shown = relative(cwd, path);
  return shown === '' ? '.' : shown.startsWith('..') || isAbsolute(shown) ? path : shown;
}
