/**
 * `scaffoldService`: from a few answers (name, owner, tier, archetype) to a commented
 * service manifest that validates as written. Pure: it returns the file's path and
 * text; writing it is the CLI's job.
 */

import { Document, isMap, isScalar, isSeq, type Node, visit } from 'yaml';
import {
  API_VERSION,
  type CatalogIssue,
  closestName,
  type IssueCode,
  LIFECYCLES,
  type Result,
  TIERS,
  type Tier,
} from '../catalog/index.ts';
import {
  ARCHETYPES,
  type Archetype,
  blueprint,
  type Commented,
  SCAFFOLD_WINDOW,
  TIER_OBJECTIVES,
} from './archetypes.ts';

/** What `sextant init` asks for. Strings are checked here, so raw flag values are fine. */
export interface ScaffoldInput {
  name: string;
  /** Team that owns the service. */
  owner: string;
  /** One of critical, high, medium, low. */
  tier: string;
  /** One of the ARCHETYPES. */
  archetype: string;
  description?: string;
  /** Services this one cannot work without (hard dependencies). */
  dependsOn?: readonly string[];
  /** Prometheus `job` label of the service's metrics. Default: the service name. */
  job?: string;
  /** Runbook URL; a link is written only when given. */
  runbook?: string;
  /** Dashboard URL; a link is written only when given. */
  dashboard?: string;
}

/** A generated file: its path relative to the catalog directory, and its text. */
export interface ScaffoldedFile {
  path: string;
  text: string;
}

const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** Conservative label value for `job`: anything a scrape config names without quoting. */
const JOB = /^[a-zA-Z0-9_][a-zA-Z0-9_.:/-]{0,127}$/;

/** True when `text` is a valid catalog name (1-63 of a-z, 0-9, -, alphanumeric at both ends). */
export function isName(text: string): boolean {
  return NAME.test(text);
}

/**
 * A valid name close to `text`, to offer when it is not one.
 * @example suggestName('Checkout API') // 'checkout-api'
 */
export function suggestName(text: string): string | undefined {
  const fixed = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');
  return fixed !== text && isName(fixed) ? fixed : undefined;
}

function issue(code: IssueCode, path: (string | number)[], message: string): CatalogIssue {
  return { code, severity: 'error', path, message };
}

function nameIssue(value: string, path: (string | number)[], what: string): CatalogIssue | undefined {
  if (isName(value)) return undefined;
  const suggestion = suggestName(value);
  return issue(
    'name.invalid',
    path,
    `${what} "${value}" is not a valid name: use 1-63 characters of a-z, 0-9 and -, starting and ending with a letter or digit${suggestion ? ` (for example "${suggestion}")` : ''}`,
  );
}

function oneOf(
  value: string,
  allowed: readonly string[],
  path: (string | number)[],
  what: string,
): CatalogIssue | undefined {
  if (allowed.includes(value)) return undefined;
  const close = closestName(value, allowed);
  return issue(
    'schema.value',
    path,
    `${what} "${value}" is not one of ${allowed.join(', ')}.${close ? ` Did you mean "${close}"?` : ''}`,
  );
}

function urlIssue(value: string, path: (string | number)[], what: string): CatalogIssue | undefined {
  if (URL.canParse(value) && /^https?:$/.test(new URL(value).protocol)) return undefined;
  return issue('schema.format', path, `${what} "${value}" is not an http(s) URL`);
}

/** The single-valued inputs, each checkable on its own (as a prompt answer or a flag). */
export type ScaffoldField = 'name' | 'owner' | 'tier' | 'archetype' | 'job' | 'runbook' | 'dashboard';

/** The problem with one input value, or undefined when it is fine. */
export function checkScaffoldField(field: ScaffoldField, value: string): CatalogIssue | undefined {
  switch (field) {
    case 'name':
      return nameIssue(value, ['metadata', 'name'], 'service name');
    case 'owner':
      return nameIssue(value, ['spec', 'owner'], 'owner');
    case 'tier':
      return oneOf(value, Object.keys(TIERS), ['spec', 'tier'], 'tier');
    case 'archetype':
      return oneOf(value, Object.keys(ARCHETYPES), ['archetype'], 'archetype');
    case 'job':
      return JOB.test(value)
        ? undefined
        : issue(
            'schema.format',
            ['job'],
            `job "${value}" must be a plain Prometheus job label value (letters, digits and _ . : / -)`,
          );
    case 'runbook':
    case 'dashboard':
      return urlIssue(value, ['metadata', 'links', field], field);
  }
}

/** Problems with a dependency list: invalid names, the service itself, repeats. */
export function checkDependsOn(name: string, dependsOn: readonly string[]): CatalogIssue[] {
  const issues: CatalogIssue[] = [];
  const seen = new Set<string>();
  dependsOn.forEach((dependency, index) => {
    const path = ['spec', 'dependsOn', index];
    const found =
      dependency === name
        ? issue('ref.self', path, `service "${name}" cannot depend on itself`)
        : seen.has(dependency)
          ? issue('name.duplicate', path, `"${dependency}" is listed twice in dependsOn`)
          : nameIssue(dependency, path, 'dependency');
    if (found) issues.push(found);
    seen.add(dependency);
  });
  return issues;
}

/** Every problem with the input, with the manifest path it would land at; empty when valid. */
export function validateScaffoldInput(input: ScaffoldInput): CatalogIssue[] {
  const fields: [ScaffoldField, string | undefined][] = [
    ['name', input.name],
    ['owner', input.owner],
    ['tier', input.tier],
    ['archetype', input.archetype],
    ['job', input.job],
    ['runbook', input.runbook],
    ['dashboard', input.dashboard],
  ];
  return [
    ...fields.flatMap(([field, value]) => {
      const found = value === undefined ? undefined : checkScaffoldField(field, value);
      return found ? [found] : [];
    }),
    ...checkDependsOn(input.name, input.dependsOn ?? []),
  ];
}

/**
 * Writes the manifest of a new service of the given archetype, with SLIs, SLOs scaled
 * to its tier (TIER_OBJECTIVES) and saturation points, every section commented.
 * @example
 * const result = scaffoldService({ name: 'checkout', owner: 'payments', tier: 'high', archetype: 'http-service' });
 * if (result.ok) console.log(result.value.path); // checkout.yaml
 */
export function scaffoldService(input: ScaffoldInput): Result<ScaffoldedFile> {
  const issues = validateScaffoldInput(input);
  if (issues.length > 0) return { ok: false, issues };
  const tier = input.tier as Tier;
  const archetype = input.archetype as Archetype;
  const job = input.job ?? input.name;
  const parts = blueprint(archetype, { name: input.name, tier, job });
  const description = input.description?.trim();
  const links = [
    ...(input.runbook === undefined ? [] : [{ url: input.runbook, type: 'runbook' }]),
    ...(input.dashboard === undefined ? [] : [{ url: input.dashboard, type: 'dashboard' }]),
  ];

  const manifest = {
    apiVersion: API_VERSION,
    kind: 'Service',
    metadata: {
      name: input.name,
      ...(description ? { description } : {}),
      annotations: { 'sextant.dev/archetype': archetype },
      ...(links.length > 0 ? { links } : {}),
    },
    spec: {
      owner: input.owner,
      tier,
      lifecycle: 'production',
      dependsOn: [...(input.dependsOn ?? [])],
      slis: parts.slis.map((item) => item.value),
      slos: parts.slos.map((item) => item.value),
      saturationPoints: parts.saturationPoints.map((item) => item.value),
    },
  };

  const doc = new Document(manifest);
  const { availabilityPercent, latencyPercent } = TIER_OBJECTIVES[tier];
  doc.commentBefore = lines(
    `${input.name}: ${ARCHETYPES[archetype]}.\n` +
      `Scaffolded by \`sextant init\` for the ${tier} tier: ${availabilityPercent} % availability and\n` +
      `${latencyPercent} % latency objectives over ${SCAFFOLD_WINDOW}.\n` +
      `Selectors assume ${parts.assumptions}\n` +
      'Check every selector against your metrics, then run `sextant validate`.',
  );
  commentKey(doc, ['spec', 'tier'], `${tier}: ${TIERS[tier]}\nTiers: ${Object.keys(TIERS).join(' | ')}.`);
  commentKey(doc, ['spec', 'lifecycle'], `${Object.keys(LIFECYCLES).join(' | ')}`);
  commentKey(
    doc,
    ['spec', 'dependsOn'],
    'Services this one fails without. For one it degrades gracefully without, write\n{service: NAME, kind: soft}.',
  );
  commentKey(
    doc,
    ['spec', 'slis'],
    'How users experience the service: each SLI counts good events among all events.',
    true,
  );
  commentKey(
    doc,
    ['spec', 'slos'],
    'Objectives by tier. Alerts use the multi-window burn-rate tiers page-1h, page-6h, ticket-1d\nand ticket-3d unless an SLO overrides them under alerting.tiers.',
    true,
  );
  commentKey(
    doc,
    ['spec', 'saturationPoints'],
    'Resources that run out. Utilization is 0-1: soft opens a ticket, hard is where the\nresource fails or throttles. Forecasts warn before the trend gets there.',
    true,
  );
  commentItems(doc, ['spec', 'slis'], parts.slis);
  commentItems(doc, ['spec', 'slos'], parts.slos);
  commentItems(doc, ['spec', 'saturationPoints'], parts.saturationPoints);

  const dependsOn = doc.getIn(['spec', 'dependsOn'], true);
  if (isSeq(dependsOn)) dependsOn.flow = true;
  // PromQL reads best single-quoted: its own strings use double quotes.
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && /[{}"*[\]<>]/.test(node.value)) node.type = 'QUOTE_SINGLE';
    },
  });
  const text = doc.toString({ lineWidth: 0, flowCollectionPadding: false });
  return { ok: true, value: { path: `${input.name}.yaml`, text } };
}

/** Turns text into YAML comment lines (the library adds the `#`). */
function lines(text: string): string {
  return text
    .split('\n')
    .map((line) => ` ${line}`)
    .join('\n');
}

/** Puts a comment above the key at `path`, optionally after a blank line. */
function commentKey(doc: Document, path: string[], text: string, spaceBefore = false): void {
  const parent = doc.getIn(path.slice(0, -1), true);
  if (!isMap(parent)) return;
  const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === path[path.length - 1]);
  if (!pair || !isScalar(pair.key)) return;
  pair.key.commentBefore = lines(text);
  if (spaceBefore) pair.key.spaceBefore = true;
}

/** Puts each item's comment above it in the list at `path`. */
function commentItems(doc: Document, path: string[], items: readonly Commented<unknown>[]): void {
  const list = doc.getIn(path, true);
  if (!isSeq(list)) return;
  list.items.forEach((node, index) => {
    const comment = items[index]?.comment;
    if (comment !== undefined) (node as Node).commentBefore = lines(comment);
  });
}
