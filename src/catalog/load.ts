/** From YAML text to typed manifests, with every shape problem located in its file. */

import { type Document, parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import type { CatalogIssue, IssueCode } from './issues.ts';
import { API_VERSION, KINDS, type Kind, type Manifest, manifestSchemas } from './schema.ts';
import { issueAt, LineIndex, locatorFor, type SourceFile, type SourceLocator } from './source.ts';
import { didYouMean } from './suggest.ts';

/** Syntax errors reported per document before the rest are summarised. */
const MAX_SYNTAX_ISSUES = 10;

/** Where the alias named in yaml's message (`Unresolved alias: x`) stands, if it can be found. */
function aliasOffset(text: string, from: number, to: number, message: string): number | undefined {
  const name = /alias[^:]*: ?\*?([^\s]+)/i.exec(message)?.[1];
  if (name === undefined) return undefined;
  const found = text.slice(from, to).indexOf(`*${name}`);
  return found === -1 ? undefined : from + found;
}

/** A manifest that passed shape validation, with where it came from. */
export interface LoadedManifest {
  manifest: Manifest;
  /** The document as written (before defaults), for checks that care about what the user typed. */
  raw: Record<string, unknown>;
  source: SourceLocator;
}

/** Parses every document of every file; returns the valid manifests and all issues found. */
export function loadManifests(files: readonly SourceFile[]): {
  manifests: LoadedManifest[];
  issues: CatalogIssue[];
} {
  const manifests: LoadedManifest[] = [];
  const issues: CatalogIssue[] = [];
  for (const file of files) {
    const lines = new LineIndex(file.text);
    const at = (offset: number) => ({ file: file.path, ...lines.position(offset) });
    let list: Document.Parsed[];
    try {
      const parsed = parseAllDocuments(file.text, { prettyErrors: false, uniqueKeys: true });
      list = Array.isArray(parsed) ? parsed : [];
    } catch (thrown) {
      // The yaml composer recurses per nesting level; absurd nesting overflows the stack.
      issues.push({
        code: 'yaml.syntax',
        severity: 'error',
        message: `the file cannot be parsed: ${(thrown as Error).message} (nesting too deep?)`,
        path: [],
        ...at(0),
      });
      continue;
    }
    list.forEach((document, index) => {
      const locator = locatorFor(file.path, index, document, lines);
      if (document.errors.length > 0) {
        // One misplaced line can make hundreds of follow-on errors: the first few locate it.
        for (const error of document.errors.slice(0, MAX_SYNTAX_ISSUES)) {
          issues.push({
            code: error.code === 'DUPLICATE_KEY' ? 'yaml.duplicate-key' : 'yaml.syntax',
            severity: 'error',
            message: error.message.split('\n')[0] ?? error.message,
            path: [],
            ...at(error.pos[0]),
          });
        }
        if (document.errors.length > MAX_SYNTAX_ISSUES) {
          issues.push({
            code: 'yaml.syntax',
            severity: 'error',
            message: `${document.errors.length - MAX_SYNTAX_ISSUES} more syntax errors in this document, most likely caused by the ones above`,
            path: [],
            ...at(document.errors[MAX_SYNTAX_ISSUES]!.pos[0]),
          });
        }
        return;
      }
      let value: unknown;
      try {
        value = document.toJS({ maxAliasCount: 100 });
      } catch (thrown) {
        // An alias to a missing anchor, or an alias bomb: yaml throws while resolving.
        const message = (thrown as Error).message;
        issues.push({
          code: 'yaml.alias',
          severity: 'error',
          message: /Excessive alias count/.test(message)
            ? 'too many aliases (*name) expand here: a manifest needs no alias bombs; write the values out'
            : `${message.split('\n')[0]}: every alias (*name) needs an anchor (&name) earlier in the same document`,
          path: [],
          ...at(aliasOffset(file.text, document.range[0], document.range[1], message) ?? document.range[0]),
        });
        return;
      }
      if (value === null || value === undefined) return; // an empty document (e.g. a trailing ---)
      const loaded = loadDocument(value, locator);
      if (loaded.issues.length > 0) issues.push(...loaded.issues);
      if (loaded.manifest) manifests.push(loaded.manifest);
    });
  }
  return { manifests, issues };
}

function loadDocument(
  value: unknown,
  locator: SourceLocator,
): { manifest?: LoadedManifest; issues: CatalogIssue[] } {
  if (typeof value !== 'object' || Array.isArray(value) || value === null) {
    return {
      issues: [
        issueAt(
          locator,
          'manifest.not-object',
          [],
          'a manifest is a mapping with apiVersion, kind, metadata and spec',
        ),
      ],
    };
  }
  const raw = value as Record<string, unknown>;
  if (raw['apiVersion'] !== API_VERSION) {
    const found = raw['apiVersion'] === undefined ? 'missing' : `"${String(raw['apiVersion'])}"`;
    return {
      issues: [
        issueAt(
          locator,
          'manifest.api-version',
          ['apiVersion'],
          `apiVersion is ${found}; write apiVersion: ${API_VERSION}`,
        ),
      ],
    };
  }
  const kind = raw['kind'];
  if (typeof kind !== 'string' || !(KINDS as readonly string[]).includes(kind)) {
    const found = kind === undefined ? 'missing' : `"${String(kind)}"`;
    const hint = typeof kind === 'string' ? didYouMean(kind, KINDS) : '';
    return {
      issues: [
        issueAt(
          locator,
          'manifest.kind',
          ['kind'],
          `kind is ${found}; use one of ${KINDS.join(', ')}.${hint}`,
        ),
      ],
    };
  }
  const schema = manifestSchemas()[kind as Kind];
  const parsed = schema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    return { issues: parsed.error.issues.flatMap((issue) => translateZodIssue(issue, [], locator, schema)) };
  }
  return { manifest: { manifest: parsed.data as Manifest, raw, source: locator }, issues: [] };
}

type ZodIssue = z.core.$ZodIssue;

/** Turns one zod issue into catalog issues with stable codes and positions. */
function translateZodIssue(
  issue: ZodIssue,
  prefix: (string | number)[],
  locator: SourceLocator,
  schema: z.ZodType,
): CatalogIssue[] {
  const path = [...prefix, ...issue.path.map((part) => (typeof part === 'symbol' ? String(part) : part))];
  const at = (code: IssueCode, message: string, options: { key?: boolean } = {}) =>
    issueAt(locator, code, path, message, options);
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined)
        return [at('schema.required', `${describe(path)} is required (${issue.expected})`)];
      return [
        at(
          'schema.type',
          `${describe(path)} must be ${article(issue.expected)}, not ${typeName(issue.input)}`,
        ),
      ];
    }
    case 'unrecognized_keys':
      return issue.keys.map((key) =>
        key === 'objective'
          ? issueAt(
              locator,
              'objective.ambiguous',
              [...path, key],
              'a bare "objective" is ambiguous (is 99.9 a percent? is 0.999?): write objectivePercent: 99.9 or objectiveRatio: 0.999',
              { key: true },
            )
          : issueAt(
              locator,
              'schema.unknown-field',
              [...path, key],
              `unknown field "${key}" in ${describe(path)}.${didYouMean(key, knownKeys(schema, path))}`,
              { key: true },
            ),
      );
    case 'invalid_value':
      if (issue.input === undefined) {
        return [
          at(
            'schema.required',
            `${describe(path)} is required: one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`,
          ),
        ];
      }
      return [
        at(
          'schema.value',
          `${describe(path)} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}.${
            typeof issue.input === 'string'
              ? didYouMean(
                  issue.input,
                  issue.values.map((v) => String(v)),
                )
              : ''
          }`,
        ),
      ];
    case 'invalid_format':
      return [at('schema.format', `${describe(path)} is not a valid ${issue.format}`)];
    case 'too_small':
    case 'too_big':
      return [at('schema.range', `${describe(path)}: ${issue.message.replace(/^Too (small|big): /, '')}`)];
    case 'invalid_union': {
      const best = bestUnionBranch(issue);
      if (best) return best.flatMap((inner) => translateZodIssue(inner, path, locator, schema));
      return [at('schema.invalid', `${describe(path)} does not match any accepted form`)];
    }
    default:
      return [at('schema.invalid', `${describe(path)}: ${issue.message}`)];
  }
}

/**
 * For a union, the branch the user most likely meant: the one whose failures are deepest
 * (its top-level type matched), so "unknown field selctor" beats "expected string".
 */
function bestUnionBranch(issue: Extract<ZodIssue, { code: 'invalid_union' }>): ZodIssue[] | undefined {
  let best: ZodIssue[] | undefined;
  let bestScore = -1;
  for (const branch of issue.errors) {
    const typeMismatchAtRoot = branch.some(
      (inner) => inner.code === 'invalid_type' && inner.path.length === 0,
    );
    const depth = Math.max(0, ...branch.map((inner) => inner.path.length));
    const score = (typeMismatchAtRoot ? 0 : 1000) + depth * 10 - branch.length;
    if (score > bestScore) {
      best = branch;
      bestScore = score;
    }
  }
  return best;
}

/** The field names the schema allows at `path`, for "did you mean" on unknown fields. */
function knownKeys(schema: z.ZodType, path: readonly (string | number)[]): string[] {
  let candidates: z.core.$ZodType[] = [schema];
  for (const part of path) {
    candidates = candidates.flatMap((candidate) => childSchemas(candidate, part));
  }
  return [...new Set(candidates.flatMap((candidate) => Object.keys(objectShape(candidate))))];
}

function unwrap(schema: z.core.$ZodType): z.core.$ZodType[] {
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  switch (def.type) {
    case 'optional':
    case 'default':
    case 'nullable':
    case 'prefault':
      return unwrap(def['innerType'] as z.core.$ZodType);
    case 'union':
      return (def['options'] as z.core.$ZodType[]).flatMap(unwrap);
    default:
      return [schema];
  }
}

function objectShape(schema: z.core.$ZodType): Record<string, z.core.$ZodType> {
  return unwrap(schema).reduce<Record<string, z.core.$ZodType>>((shape, option) => {
    const def = option._zod.def as unknown as { type: string; shape?: Record<string, z.core.$ZodType> };
    return def.type === 'object' && def.shape ? Object.assign(shape, def.shape) : shape;
  }, {});
}

function childSchemas(schema: z.core.$ZodType, part: string | number): z.core.$ZodType[] {
  return unwrap(schema).flatMap((option) => {
    const def = option._zod.def as unknown as Record<string, unknown> & { type: string };
    if (def.type === 'array' && typeof part === 'number') return [def['element'] as z.core.$ZodType];
    if (def.type === 'record') return [def['valueType'] as z.core.$ZodType];
    if (def.type === 'object') {
      const child = (def['shape'] as Record<string, z.core.$ZodType>)[String(part)];
      return child ? [child] : [];
    }
    return [];
  });
}

function describe(path: readonly (string | number)[]): string {
  if (path.length === 0) return 'the manifest';
  const last = path[path.length - 1];
  return typeof last === 'number' ? `item ${last} of "${String(path[path.length - 2] ?? '')}"` : `"${last}"`;
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function typeName(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  if (typeof input === 'number' && !Number.isFinite(input)) return `number ${input} (out of range)`;
  return `${typeof input} ${JSON.stringify(input)}`;
}
