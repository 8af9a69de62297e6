/**
 * Gathering the files of a Backstage catalog by following `Location` entities, as
 * described under "Kind: Location" in the descriptor format: `spec.target` and
 * `spec.targets` are absolute or relative to the Location's own file, `spec.type`
 * (`file` or `url`) is inherited from the location that read the file when left out,
 * and `spec.presence: optional` allows a target to be missing. Reading goes through two
 * injected functions, so this module is pure and tests use an in-memory tree.
 */

import { posix } from 'node:path';
import type { SourceFile } from '../../catalog/index.ts';
import { isRecord } from './entities.ts';
import { expandGlob, hasWildcard, type ListDirectory } from './glob.ts';
import { type BackstageIssue, sortBackstageIssues } from './issues.ts';
import { at, type DocumentLocator, parseDocuments } from './source.ts';

/** Reads a file as text, or undefined when it cannot be read. */
export type ReadTextFile = (path: string) => Promise<string | undefined>;

/** Locations nest at most this deep; deeper chains are reported rather than followed. */
const MAX_DEPTH = 32;

const URL_PATTERN = /^[a-z][a-z0-9+.-]*:\/\//i;

interface Target {
  path: string;
  optional: boolean;
  locator: DocumentLocator;
  at: (string | number)[];
}

/**
 * Reads the given files and directories (directories recursively: every .yaml/.yml file,
 * skipping hidden entries and node_modules), then follows the Location entities they
 * contain. Each file is read once; a Location that leads back to a file on its own chain
 * is reported as a loop.
 * @example
 * const { inputs, issues } = await collectBackstageInputs(['catalog-info.yaml'], readTextFile, listDirectory);
 */
export async function collectBackstageInputs(
  paths: readonly string[],
  read: ReadTextFile,
  list: ListDirectory,
): Promise<{ inputs: SourceFile[]; issues: BackstageIssue[] }> {
  const inputs: SourceFile[] = [];
  const issues: BackstageIssue[] = [];
  const seen = new Set<string>();

  const visit = async (path: string, chain: readonly string[], from?: Target): Promise<void> => {
    const file = posix.normalize(path);
    if (chain.includes(file)) {
      const loop = [...chain.slice(chain.indexOf(file)), file].join(' -> ');
      issues.push(
        at(
          from?.locator,
          'location.loop',
          'warning',
          from?.at ?? [],
          `Locations form a loop: ${loop}; not followed again`,
        ),
      );
      return;
    }
    if (seen.has(file)) return;
    if (chain.length >= MAX_DEPTH) {
      issues.push(
        at(
          from?.locator,
          'location.depth',
          'error',
          from?.at ?? [],
          `Locations are nested more than ${MAX_DEPTH} deep; "${file}" was not read`,
        ),
      );
      return;
    }
    seen.add(file);
    const text = await read(file);
    if (text === undefined) {
      if (from?.optional) {
        issues.push(
          at(from.locator, 'input.unreadable', 'info', from.at, `optional target "${file}" does not exist`),
        );
      } else if (from) {
        issues.push(
          at(from.locator, 'input.unreadable', 'error', from.at, `target "${file}" cannot be read`),
        );
      } else {
        issues.push({
          code: 'input.unreadable',
          severity: 'error',
          file,
          path: [],
          message: `"${file}" cannot be read`,
        });
      }
      return;
    }
    inputs.push({ path: file, text });
    for (const target of locationTargets(file, text, issues)) {
      for (const match of await expandTarget(target, list, issues)) {
        await visit(match, [...chain, file], target);
      }
    }
  };

  for (const path of paths) {
    const entries = await list(path);
    if (entries === undefined) {
      await visit(path, []);
      continue;
    }
    for (const file of await yamlFilesUnder(path, list)) await visit(file, []);
  }
  return { inputs, issues: sortBackstageIssues(issues) };
}

/** The targets of the Location entities in one file, resolved against the file's directory. */
function locationTargets(file: string, text: string, issues: BackstageIssue[]): Target[] {
  const targets: Target[] = [];
  // Syntax errors are left to importBackstage, which reads the same file.
  for (const { value, locator } of parseDocuments(file, text).documents) {
    if (!isRecord(value) || typeof value['kind'] !== 'string' || value['kind'].toLowerCase() !== 'location')
      continue;
    if (typeof value['apiVersion'] !== 'string' || !value['apiVersion'].startsWith('backstage.io/')) continue;
    const spec = isRecord(value['spec']) ? value['spec'] : {};
    const type = spec['type'];
    // Files read here are `file` locations, so a Location without a type is one too.
    if (type !== undefined && type !== 'file' && type !== 'url') {
      issues.push(
        at(
          locator,
          'location.type',
          'warning',
          ['spec', 'type'],
          `Location type "${String(type)}" cannot be followed offline (only file and url); its targets were skipped`,
        ),
      );
      continue;
    }
    const optional = spec['presence'] === 'optional';
    const written: { value: unknown; at: (string | number)[] }[] = [];
    if (spec['target'] !== undefined) written.push({ value: spec['target'], at: ['spec', 'target'] });
    if (Array.isArray(spec['targets'])) {
      spec['targets'].forEach((value, index) => {
        written.push({ value, at: ['spec', 'targets', index] });
      });
    } else if (spec['targets'] !== undefined) {
      issues.push(
        at(locator, 'entity.field', 'error', ['spec', 'targets'], 'spec.targets must be a list of strings'),
      );
    }
    for (const target of written) {
      if (typeof target.value !== 'string' || target.value === '') {
        issues.push(
          at(locator, 'entity.field', 'error', target.at, 'a Location target must be a non-empty string'),
        );
        continue;
      }
      if (URL_PATTERN.test(target.value)) {
        issues.push(
          at(
            locator,
            'location.url',
            'warning',
            target.at,
            `target "${target.value}" is a URL, which cannot be fetched offline; download it and pass the file instead`,
          ),
        );
        continue;
      }
      const path = target.value.startsWith('/')
        ? target.value
        : posix.join(posix.dirname(file), target.value);
      targets.push({ path: posix.normalize(path), optional, locator, at: target.at });
    }
  }
  return targets;
}

async function expandTarget(
  target: Target,
  list: ListDirectory,
  issues: BackstageIssue[],
): Promise<string[]> {
  if (!hasWildcard(target.path)) return [target.path];
  const matches = await expandGlob(target.path, list);
  if (matches.length === 0) {
    issues.push(
      at(
        target.locator,
        'location.no-match',
        target.optional ? 'info' : 'warning',
        target.at,
        `pattern "${target.path}" matches no file`,
      ),
    );
  }
  return matches;
}

async function yamlFilesUnder(dir: string, list: ListDirectory): Promise<string[]> {
  const out: string[] = [];
  const entries = (await list(dir)) ?? [];
  for (const entry of [...entries].sort()) {
    if (entry.startsWith('.') || entry === 'node_modules') continue;
    const child = posix.join(dir, entry);
    if ((await list(child)) !== undefined) out.push(...(await yamlFilesUnder(child, list)));
    else if (/\.ya?ml$/i.test(entry)) out.push(child);
  }
  return out;
}
