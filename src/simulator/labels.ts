/**
 * Finding label sets that satisfy (and avoid) series selectors. Selectors are conjunctions
 * of per-label matchers, so "match A" narrows each label's candidates independently;
 * "do not match B" is a disjunction (some matcher of B fails) and is checked by a small
 * bounded search over the candidates. Candidates are values a person would write: the
 * values named by the matchers themselves (`=`, `!=`, examples of regexes), a pool of
 * common status codes and methods, names suited to the label, and absence (`""`).
 */

import { compileSelector, type LabelMatcher, type SeriesSelector, selectorRegExp } from '../catalog/index.ts';

/** A label set seen as a series named `name` must (or must not) match `selector`. */
export interface Condition {
  selector: SeriesSelector;
  name: string;
}

/** What one series' labels must satisfy. */
export interface LabelProblem {
  /** Conditions that must hold. */
  require: Condition[];
  /** Conditions that must not hold. */
  forbid: Condition[];
  /** Conditions that should not hold (other SLIs' selectors); dropped when unsatisfiable. */
  avoid: Condition[];
  /** Labels that must be present with a non-empty value when possible. */
  extraLabels: string[];
}

/** A solution: labels without `__name__`, and whether the `avoid` conditions hold too. */
export interface LabelSolution {
  labels: Record<string, string>;
  avoided: boolean;
}

const HTTP_CODES = ['200', '201', '204', '301', '404', '429', '500', '502', '503', '504'];
const GRPC_CODES = ['OK', 'NotFound', 'Unavailable', 'DeadlineExceeded', 'Internal', 'Unknown'];
const METHODS = ['GET', 'POST'];

/** Values for labels commonly used as significant labels, by label name. */
const NAMED_POOLS: readonly [RegExp, readonly string[]][] = [
  [/grpc_service/, ['gitaly.RepositoryService', 'gitaly.RefService', 'gitaly.CommitService']],
  [/grpc_method/, ['FindCommit', 'GetBlob', 'ListRefs']],
  [/grpc_(code|status)/, GRPC_CODES],
  [/route_id|handler_id/, ['api', 'project_tree', 'repository_blob']],
  [/route|path|handler|endpoint/, ['/api/v4/projects', '/users/sign_in', '/-/readiness']],
  [/urgency/, ['high', 'low', 'throttled']],
  [/method/, METHODS],
  [/code|status/, HTTP_CODES],
  [/region/, ['us-east1', 'europe-west1', 'asia-east1']],
  [/zone/, ['us-east1-b', 'us-east1-c', 'us-east1-d']],
  [/tenant|cell/, ['cell-1', 'cell-2', 'cell-3']],
  [/worker|queue/, ['default', 'mailers', 'pipeline_processing']],
];

const GENERIC_POOL = [...HTTP_CODES, ...GRPC_CODES, ...METHODS];
const MAX_LEAVES = 200_000;

/** Compiles a condition to a predicate over labels without `__name__`. */
function compileCondition(condition: Condition): (labels: Record<string, string>) => boolean {
  const { selector, name } = condition;
  if (selector.metric !== undefined && selector.metric !== name) return () => false;
  const matches = compileSelector(selector);
  return (labels) => matches({ ...labels, __name__: name });
}

function compileMatcher(matcher: LabelMatcher): (value: string) => boolean {
  switch (matcher.op) {
    case '=':
      return (value) => value === matcher.value;
    case '!=':
      return (value) => value !== matcher.value;
    case '=~': {
      const re = selectorRegExp(matcher.value);
      return (value) => re.test(value);
    }
    case '!~': {
      const re = selectorRegExp(matcher.value);
      return (value) => !re.test(value);
    }
  }
}

/** Whether a condition can hold at all: a selector naming another metric never matches. */
function canMatch(condition: Condition): boolean {
  return condition.selector.metric === undefined || condition.selector.metric === condition.name;
}

/** The label names a condition looks at (not `__name__`). */
function labelNames(condition: Condition): string[] {
  return condition.selector.matchers.map((m) => m.name).filter((name) => name !== '__name__');
}

function isNumeric(value: string): boolean {
  return /^\d+$/.test(value);
}

/** Values for one label, most natural first, that satisfy every `require` matcher on it. */
export function labelCandidates(problem: LabelProblem, label: string): string[] {
  const own = [...problem.require, ...problem.forbid].filter(canMatch);
  const derived: string[] = [];
  for (const condition of own) {
    for (const matcher of condition.selector.matchers) {
      if (matcher.name !== label) continue;
      if (matcher.op === '=' || matcher.op === '!=') derived.push(matcher.value);
      else derived.push(...regexExamples(matcher.value));
    }
  }
  const named = NAMED_POOLS.find(([pattern]) => pattern.test(label))?.[1] ?? [];
  // Keep the style of the values the selectors use: numeric codes next to `5..`, words next to `Internal`.
  const derivedNonEmpty = derived.filter((value) => value !== '');
  const numeric = derivedNonEmpty.filter(isNumeric).length;
  const preferNumeric = derivedNonEmpty.length > 0 && numeric * 2 >= derivedNonEmpty.length;
  const pool =
    derivedNonEmpty.length === 0
      ? [...named, ...GENERIC_POOL]
      : [...named, ...GENERIC_POOL].sort(
          (a, b) => Number(isNumeric(b) === preferNumeric) - Number(isNumeric(a) === preferNumeric),
        );
  const fallback = [1, 2, 3].map((n) => `${label}_${n}`);
  const mentioned = own.some((condition) => labelNames(condition).includes(label));
  const wanted = mentioned || problem.extraLabels.includes(label);
  const ordered = wanted ? [...derivedNonEmpty, ...pool, ...fallback, ''] : ['', ...pool, ...fallback];
  const tests = problem.require.flatMap((condition) =>
    condition.selector.matchers.filter((m) => m.name === label).map(compileMatcher),
  );
  const out: string[] = [];
  for (const value of ordered) {
    if (out.includes(value)) continue;
    if (tests.every((test) => test(value))) out.push(value);
  }
  return out;
}

/** Whether labels satisfy a problem's hard conditions (and, with `strict`, the soft ones). */
export function satisfies(problem: LabelProblem, labels: Record<string, string>, strict: boolean): boolean {
  return compileProblem(problem, strict)(labels);
}

function compileProblem(problem: LabelProblem, strict: boolean): (labels: Record<string, string>) => boolean {
  const required = problem.require.map(compileCondition);
  const negated = [...problem.forbid, ...(strict ? problem.avoid : [])].map(compileCondition);
  return (labels) => required.every((test) => test(labels)) && !negated.some((test) => test(labels));
}

/**
 * Finds labels satisfying `require` and `forbid`, and `avoid` too when possible.
 * Returns undefined when no combination of candidates works.
 */
export function solveLabels(problem: LabelProblem): LabelSolution | undefined {
  for (const strict of [true, false]) {
    const labels = search(problem, strict);
    if (labels !== undefined) return { labels, avoided: strict };
  }
  return undefined;
}

function search(problem: LabelProblem, strict: boolean): Record<string, string> | undefined {
  const conditions = [...problem.require, ...problem.forbid, ...(strict ? problem.avoid : [])].filter(
    canMatch,
  );
  const names = [...new Set([...conditions.flatMap(labelNames), ...problem.extraLabels])];
  const candidates = names.map((name) => ({ name, values: labelCandidates(problem, name) }));
  if (candidates.some((c) => c.values.length === 0)) return undefined;
  // Most constrained labels first keeps the search shallow where choice is wide.
  candidates.sort((a, b) => a.values.length - b.values.length);
  const test = compileProblem(problem, strict);
  const assignment: Record<string, string> = {};
  let leaves = 0;
  const visit = (index: number): boolean => {
    if (index === candidates.length) {
      leaves++;
      return test(withoutEmpty(assignment));
    }
    const { name, values } = candidates[index]!;
    for (const value of values) {
      if (leaves >= MAX_LEAVES) return false;
      assignment[name] = value;
      if (visit(index + 1)) return true;
    }
    return false;
  };
  return visit(0) ? withoutEmpty(assignment) : undefined;
}

/** Labels with an empty value are absent (Prometheus and OpenMetrics agree). */
function withoutEmpty(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(labels).sort()) {
    const value = labels[name]!;
    if (value !== '') out[name] = value;
  }
  return out;
}

/**
 * A few strings a regular expression (RE2 subset as PromQL writes them) probably matches:
 * each top-level alternative, groups expanded, `.` as `0`, classes as their first member,
 * `?`/`*` as zero or one, `+` as one, `{n}` as n. Callers test the result; this only
 * proposes.
 * @example regexExamples('git_(receive|upload)_pack') // ['git_receive_pack', 'git_upload_pack']
 */
export function regexExamples(pattern: string, limit = 16): string[] {
  const { options } = parseAlternation(pattern, 0, limit);
  return [...new Set(options)].slice(0, limit);
}

function parseAlternation(pattern: string, start: number, limit: number): { options: string[]; end: number } {
  const options: string[] = [];
  let pos = start;
  for (;;) {
    const sequence = parseSequence(pattern, pos, limit);
    options.push(...sequence.options);
    pos = sequence.end;
    if (pattern[pos] !== '|') break;
    pos++;
  }
  return { options: options.slice(0, limit), end: pos };
}

function parseSequence(pattern: string, start: number, limit: number): { options: string[]; end: number } {
  let results = [''];
  let pos = start;
  while (pos < pattern.length && pattern[pos] !== '|' && pattern[pos] !== ')') {
    let atom: string[];
    const ch = pattern[pos]!;
    if (ch === '(') {
      let inner = pos + 1;
      if (pattern[inner] === '?') {
        // (?:...), (?i), (?P<name>...): skip the group's flags or name.
        const close = pattern.indexOf(':', inner);
        const paren = pattern.indexOf(')', inner);
        inner = close >= 0 && (paren < 0 || close < paren) ? close + 1 : paren;
      }
      const group = parseAlternation(pattern, inner, limit);
      atom = group.options;
      pos = group.end + 1;
    } else if (ch === '[') {
      let end = pos + 1;
      if (pattern[end] === '^') end++;
      if (pattern[end] === ']') end++;
      while (end < pattern.length && pattern[end] !== ']') end += pattern[end] === '\\' ? 2 : 1;
      const body = pattern.slice(pos + 1, end);
      atom = [body.startsWith('^') ? 'x' : classMember(body)];
      pos = end + 1;
    } else if (ch === '\\') {
      const next = pattern[pos + 1] ?? '';
      atom = [({ d: '0', w: 'a', s: ' ', D: 'a', W: '-', S: 'a' } as Record<string, string>)[next] ?? next];
      pos += 2;
    } else if (ch === '.') {
      atom = ['0'];
      pos++;
    } else if (ch === '^' || ch === '$') {
      atom = [''];
      pos++;
    } else {
      atom = [ch];
      pos++;
    }
    const quantifier = pattern[pos];
    if (quantifier === '?' || quantifier === '*') {
      atom = [...atom, ''];
      pos++;
    } else if (quantifier === '+') {
      pos++;
    } else if (quantifier === '{') {
      const close = pattern.indexOf('}', pos);
      const times = Number.parseInt(pattern.slice(pos + 1, close), 10);
      atom = atom.map((text) => text.repeat(Number.isFinite(times) ? times : 1));
      pos = close < 0 ? pattern.length : close + 1;
    }
    if (pattern[pos] === '?') pos++; // lazy quantifier
    const next: string[] = [];
    for (const prefix of results)
      for (const option of atom) if (next.length < limit) next.push(prefix + option);
    results = next;
  }
  return { options: results, end: pos };
}

function classMember(body: string): string {
  const first = body[0] ?? 'a';
  if (first === '\\')
    return ({ d: '0', w: 'a', s: ' ' } as Record<string, string>)[body[1] ?? ''] ?? body[1] ?? 'a';
  return first;
}
