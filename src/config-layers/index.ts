/**
 * The layers every Sextant service reads its settings from: a YAML file, then `SEXTANT_*`
 * environment variables, then flags (a flag wins over the environment, which wins over the
 * file). Problems name the file position, the flag or the variable to fix. The unit and
 * the hub share this; each keeps its own schema and checks.
 */

import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';

/** A problem with the configuration, located in the file or naming the flag/variable. */
export interface ConfigIssue {
  /** `unit.yaml:3:5`, `--listen` or `SEXTANT_LISTEN`. */
  where: string;
  path: string;
  message: string;
}

/** One setting that a flag and an environment variable can override. */
export interface ConfigOverride {
  flag: string;
  env: string;
  path: string[];
  parse?: (value: string) => unknown;
}

/** Where a path of the file's mapping is, as `file:line:column` (the nearest existing parent). */
export type ConfigLocator = (path: readonly PropertyKey[]) => string;

/**
 * Parses the configuration file into a plain mapping and a locator for its paths. Syntax
 * errors (and duplicate keys) come back with their positions; a file that is not a
 * mapping is refused.
 */
export function readConfigFile(file: {
  path: string;
  text: string;
}): { ok: true; raw: Record<string, unknown>; locate: ConfigLocator } | { ok: false; issues: ConfigIssue[] } {
  const lineCounter = new LineCounter();
  const document = parseDocument(file.text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const issues = document.errors.map((error) => {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    return { where: `${file.path}:${line}:${col}`, path: '', message: error.message.split('\n')[0] ?? '' };
  });
  if (issues.length > 0) return { ok: false, issues };
  const value: unknown = document.toJS();
  if (value !== null && value !== undefined && (typeof value !== 'object' || Array.isArray(value))) {
    return {
      ok: false,
      issues: [{ where: file.path, path: '', message: 'the configuration must be a mapping' }],
    };
  }
  const locate: ConfigLocator = (path) => {
    let node: unknown = document.contents;
    let offset = document.range[0];
    for (const part of path) {
      if (isMap(node)) {
        const pair = node.items.find(
          (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(part),
        );
        if (!pair) break;
        node = pair.value;
        offset =
          (pair.value as { range?: [number] } | null)?.range?.[0] ??
          (pair.key as { range?: [number] }).range?.[0] ??
          offset;
      } else if (isSeq(node) && typeof part === 'number' && node.items[part]) {
        node = node.items[part];
        offset = (node as { range?: [number] }).range?.[0] ?? offset;
      } else break;
    }
    const { line, col } = lineCounter.linePos(offset);
    return `${file.path}:${line}:${col}`;
  };
  return { ok: true, raw: (value ?? {}) as Record<string, unknown>, locate };
}

/**
 * Writes the environment's and the flags' values into `raw` (a flag wins) and returns,
 * per dotted path, the flag or variable each value came from.
 */
export function applyConfigOverrides(
  raw: Record<string, unknown>,
  overrides: readonly ConfigOverride[],
  flags: Readonly<Record<string, string | undefined>>,
  env: Readonly<Record<string, string | undefined>>,
): Map<string, string> {
  const origin = new Map<string, string>();
  for (const override of overrides) {
    // The environment first, then flags, so a flag wins.
    for (const [source, value] of [
      [override.env, env[override.env]],
      [`--${override.flag}`, flags[override.flag]],
    ] as const) {
      if (value === undefined || value === '') continue;
      setPath(raw, override.path, override.parse ? override.parse(value) : value);
      origin.set(override.path.join('.'), source);
    }
  }
  return origin;
}

/** A schema issue as zod reports it (with `reportInput`). */
interface SchemaIssue {
  path: PropertyKey[];
  code: string;
  message: string;
  input?: unknown;
}

/**
 * Turns schema issues into configuration issues located at the flag or variable that set
 * the value, else at the file position. `hint` adds to "is required" messages.
 */
export function configSchemaIssues(
  schemaIssues: readonly SchemaIssue[],
  origin: ReadonlyMap<string, string>,
  locate: ConfigLocator,
  options: { hint?: (dotted: string) => string; skip?: (dotted: string) => boolean } = {},
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const issue of schemaIssues) {
    const dotted = issue.path.map(String).join('.');
    if (options.skip?.(dotted)) continue;
    const from = [...origin.entries()].find(([key]) => dotted === key || dotted.startsWith(`${key}.`))?.[1];
    const missing = issue.code === 'invalid_type' && issue.input === undefined;
    const hint = missing ? (options.hint?.(dotted) ?? '') : '';
    issues.push({
      where: from ?? locate(issue.path),
      path: dotted,
      message: `${dotted || 'configuration'}: ${missing ? 'is required' : issue.message}${hint}`,
    });
  }
  return issues;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const part of path.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

/** Splits `host:port` (with `[::1]:port` for IPv6). */
export function parseListen(listen: string): { host: string; port: number } {
  const index = listen.lastIndexOf(':');
  const host = listen.slice(0, index).replace(/^\[|\]$/g, '');
  return { host, port: Number(listen.slice(index + 1)) };
}
