/**
 * Fuzzing the catalog loader: valid manifests, mutated at random, must always come back
 * as located issues, never as a throw, a hang or a memory blow-up. Mutations are data
 * (not closures), so a failure prints a readable, replayable case.
 */

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { buildAndCheck, type CheckedBuild } from '../../test/support/catalog-invariants.ts';
import { fuzzParameters } from '../../test/support/fuzz.ts';
import { runIsolated } from '../../test/support/isolate.ts';
import { readExampleFleet, VALID_FILES } from '../../test/support/manifests.ts';
import type { SourceFile } from './index.ts';

/** Per-input time bound; FUZZ_MAX_MS loosens it on a slow or busy machine. */
const MAX_MS = Number(process.env['FUZZ_MAX_MS'] ?? 1000);
const INVARIANTS = new URL('../../test/support/catalog-invariants.ts', import.meta.url);

/** Groups of files that build together into a valid catalog (cross-file checks need the group). */
const GROUPS: readonly (readonly SourceFile[])[] = [VALID_FILES, await readExampleFleet()].filter(
  (group) => group.length > 0,
);

// ---------------------------------------------------------------------------------------
// Mutations

/** Text that means something to a YAML parser, or stresses one. */
const TOKENS = [
  ':',
  ': ',
  '-',
  '- ',
  '{',
  '}',
  '[',
  ']',
  ',',
  "'",
  '"',
  '&',
  '&a ',
  '*',
  '*a',
  '!',
  '!!str ',
  '!!int ',
  '!!binary ',
  '!<tag:yaml.org,2002:map> ',
  '!custom ',
  '? ',
  '|',
  '>-\n',
  '#',
  ' #',
  '%YAML 1.1\n',
  '%TAG !e! tag:example.com,2000:\n',
  '\t',
  '\n',
  '\r',
  '\r\n',
  ' ',
  '---\n',
  '...\n',
  '\u0000',
  '\uFEFF',
  '\u2028',
  '\uD800',
  '\u{1F600}',
  '\\',
  '\\u',
  '@',
  '`',
  '<<: *a\n',
  '9'.repeat(400),
  'x'.repeat(100_000),
] as const;

/** Replacement key names: near misses, prototype names, YAML oddities. */
const KEY_NAMES = [
  'name',
  'kind',
  'spec',
  'metadata',
  'apiVersion',
  'slo',
  'objective',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  '<<',
  '""',
  "'two words'",
  '? complex',
  '1',
  'true',
  'null',
  '~',
  'ñame',
  'k'.repeat(300),
] as const;

/** Numbers at and beyond the edges of what a double holds, in YAML 1.2 and 1.1 spellings. */
const HUGE_NUMBERS = [
  '1e400',
  '-1e400',
  '9'.repeat(400),
  '1e-400',
  '.inf',
  '-.inf',
  '.nan',
  '-0',
  '0x7fffffffffffffffffff',
  '0o777777777777777777777',
  '9007199254740993',
  '1_000',
  '0b101',
] as const;

type Mutation =
  | { op: 'flip-byte'; at: number; bit: number }
  | { op: 'delete'; at: number; length: number }
  | { op: 'insert'; at: number; token: string }
  | { op: 'swap-lines'; a: number; b: number }
  | { op: 'duplicate-line'; line: number }
  | { op: 'indent'; line: number; by: number; tab: boolean }
  | { op: 'quote-number'; nth: number }
  | { op: 'number-for-string'; nth: number; value: number }
  | { op: 'replace-number'; nth: number; value: string }
  | { op: 'rename-key'; nth: number; to: string | number }
  | { op: 'nest'; nth: number; depth: number; style: 'flow-seq' | 'flow-map' | 'block-map' | 'block-seq' }
  | { op: 'alias'; anchor: number; alias: number; merge: boolean }
  | { op: 'truncate'; at: number }
  | { op: 'line-endings'; eol: '\r\n' | '\r' | 'mixed' };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('flip-byte'), at: fc.nat(), bit: fc.nat(7) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('delete'),
      at: fc.nat(),
      length: fc.integer({ min: 1, max: 40 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ op: fc.constant('insert'), at: fc.nat(), token: fc.constantFrom(...TOKENS) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('swap-lines'), a: fc.nat(), b: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('duplicate-line'), line: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('indent'),
      line: fc.nat(),
      by: fc.integer({ min: -4, max: 4 }),
      tab: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('quote-number'), nth: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('number-for-string'),
      nth: fc.nat(),
      value: fc.oneof(fc.integer(), fc.double({ noNaN: true })),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('replace-number'),
      nth: fc.nat(),
      value: fc.constantFrom(...HUGE_NUMBERS),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('rename-key'),
      nth: fc.nat(),
      // A number drops that character of the key (a typo); a string replaces the key.
      to: fc.oneof(fc.nat(), fc.constantFrom(...KEY_NAMES)),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('nest'),
      nth: fc.nat(),
      // Deep enough to stress the parser; the overflowing depth has its own test below.
      depth: fc.integer({ min: 1, max: 64 }),
      style: fc.constantFrom('flow-seq', 'flow-map', 'block-map', 'block-seq'),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('alias'),
      anchor: fc.nat(),
      alias: fc.nat(),
      merge: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate'), at: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('line-endings'), eol: fc.constantFrom('\r\n', '\r', 'mixed') }),
  },
);

/** Lines that hold `key: value` with a plain scalar value, for value-level mutations. */
const KEY_VALUE = /^([ \t]*(?:- )?)([^\s:#'"{}[\],-][^:#\n]*?):[ \t]+([^\s{}[\]&*!|>'"#][^\n#]*?)[ \t]*$/gm;
const NUMBER = /(?<=[\s[{,:])-?\d+(?:\.\d+)?(?=[\s\]},]|$)/gm;
const KEY = /^([ \t]*(?:- )?)([A-Za-z_][\w-]*)(?=:)/gm;

function pick<T>(items: readonly T[], index: number): T | undefined {
  return items.length === 0 ? undefined : items[index % items.length];
}

function replaceMatch(
  text: string,
  pattern: RegExp,
  nth: number,
  replace: (match: RegExpExecArray) => string,
) {
  const match = pick([...text.matchAll(pattern)], nth);
  if (match === undefined) return text;
  return text.slice(0, match.index) + replace(match) + text.slice(match.index + match[0].length);
}

function nested(depth: number, style: Extract<Mutation, { op: 'nest' }>['style'], indent: string): string {
  switch (style) {
    case 'flow-seq':
      return `${'['.repeat(depth)}1${']'.repeat(depth)}`;
    case 'flow-map':
      return `${'{a: '.repeat(depth)}1${'}'.repeat(depth)}`;
    case 'block-map':
      return (
        Array.from({ length: depth }, (_, i) => `\n${indent}${' '.repeat(2 * (i + 1))}a:`).join('') + ' 1'
      );
    case 'block-seq':
      return (
        Array.from({ length: depth }, (_, i) => `\n${indent}${' '.repeat(2 * (i + 1))}-`).join('') + ' 1'
      );
  }
}

/** Applies one mutation; positions are taken modulo the text, so any number is meaningful. */
function mutate(text: string, m: Mutation): string {
  const lines = text.split('\n');
  switch (m.op) {
    case 'flip-byte': {
      // Bytes, not characters: invalid UTF-8 then decodes to U+FFFD, as when the CLI reads a file.
      const bytes = Buffer.from(text, 'utf8');
      if (bytes.length === 0) return text;
      const at = m.at % bytes.length;
      bytes[at] = bytes[at]! ^ (1 << m.bit);
      return bytes.toString('utf8');
    }
    case 'delete': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + text.slice(at + m.length);
    }
    case 'insert': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + m.token + text.slice(at);
    }
    case 'swap-lines': {
      const a = m.a % lines.length;
      const b = m.b % lines.length;
      [lines[a], lines[b]] = [lines[b]!, lines[a]!];
      return lines.join('\n');
    }
    case 'duplicate-line': {
      // Duplicating a `key: value` line makes a duplicate key.
      const at = m.line % lines.length;
      lines.splice(at, 0, lines[at]!);
      return lines.join('\n');
    }
    case 'indent': {
      const at = m.line % lines.length;
      const line = lines[at]!;
      const indented = m.by >= 0 ? ' '.repeat(m.by) + line : line.replace(new RegExp(`^ {0,${-m.by}}`), '');
      lines[at] = m.tab ? indented.replace(/^ +/, '\t') : indented;
      return lines.join('\n');
    }
    case 'quote-number':
      return replaceMatch(text, NUMBER, m.nth, (match) => `'${match[0]}'`);
    case 'number-for-string':
      return replaceMatch(text, KEY_VALUE, m.nth, (match) => `${match[1]}${match[2]}: ${m.value}`);
    case 'replace-number':
      return replaceMatch(text, NUMBER, m.nth, () => m.value);
    case 'rename-key':
      return replaceMatch(text, KEY, m.nth, (match) => {
        const key = match[2]!;
        const to =
          typeof m.to === 'number'
            ? key.slice(0, m.to % key.length) + key.slice((m.to % key.length) + 1)
            : m.to;
        return `${match[1]}${to}`;
      });
    case 'nest':
      return replaceMatch(
        text,
        KEY_VALUE,
        m.nth,
        (match) => `${match[1]}${match[2]}: ${nested(m.depth, m.style, ' '.repeat(match[1]!.length))}`,
      );
    case 'alias': {
      // Anchor one value and refer to it from another (before it, the alias is undefined).
      const values = [...text.matchAll(KEY_VALUE)];
      const anchor = pick(values, m.anchor);
      const alias = pick(values, m.alias);
      if (anchor === undefined || alias === undefined || anchor.index === alias.index) return text;
      const edits = [
        { at: anchor, with: `${anchor[1]}${anchor[2]}: &a ${anchor[3]}` },
        { at: alias, with: m.merge ? `${alias[1]}<<: *a` : `${alias[1]}${alias[2]}: *a` },
      ].sort((x, y) => y.at.index - x.at.index);
      let out = text;
      for (const edit of edits)
        out = out.slice(0, edit.at.index) + edit.with + out.slice(edit.at.index + edit.at[0].length);
      return out;
    }
    case 'truncate':
      return text.slice(0, m.at % (text.length + 1));
    case 'line-endings':
      if (m.eol === 'mixed') return lines.map((line, i) => line + (i % 2 === 0 ? '\r\n' : '\n')).join('');
      return lines.join(m.eol);
  }
}

interface FuzzCase {
  group: number;
  file: number;
  /** Build the mutated file with the rest of its group, so cross-file checks run too. */
  withGroup: boolean;
  mutations: Mutation[];
}

const fuzzCase: fc.Arbitrary<FuzzCase> = fc.record({
  group: fc.nat(GROUPS.length - 1),
  file: fc.nat(),
  // One case in four: building the whole group costs ten times more than one file.
  withGroup: fc.nat(3).map((n) => n === 3),
  mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }),
});

function filesOf(fuzz: FuzzCase): SourceFile[] {
  const group = GROUPS[fuzz.group]!;
  const index = fuzz.file % group.length;
  const target = group[index]!;
  const mutated = { path: target.path, text: fuzz.mutations.reduce(mutate, target.text) };
  return fuzz.withGroup ? group.map((file, i) => (i === index ? mutated : file)) : [mutated];
}

/** Fails with the violations and the mutated text, which is the reproducer. */
function assertSound(result: CheckedBuild, files: readonly SourceFile[]): void {
  const problems = result.violations.map((violation) => violation.message);
  if (result.ms >= MAX_MS) problems.push(`took ${result.ms.toFixed(0)} ms (bound ${MAX_MS} ms)`);
  if (problems.length > 0) {
    const shown = files.map((file) => `--- ${file.path}\n${JSON.stringify(file.text.slice(0, 3000))}`);
    assert.fail(`${problems.join('\n')}\n${shown.join('\n')}`);
  }
}

// ---------------------------------------------------------------------------------------

describe('the fuzzing corpus', () => {
  test('every group builds into a catalog with no issues', () => {
    for (const group of GROUPS) {
      const result = buildAndCheck(group);
      assert.deepEqual([result.codes, result.violations], [[], []], group[0]?.path);
    }
  });

  test('the example fleet is part of it when the repository has one', async () => {
    assert.equal(GROUPS.length, (await readExampleFleet()).length > 0 ? 2 : 1);
  });

  test('each mutation changes the text it is given', () => {
    const text = VALID_FILES.find((file) => file.path.endsWith('object-store.yaml'))!.text;
    const samples: Mutation[] = [
      { op: 'flip-byte', at: 3, bit: 0 },
      { op: 'delete', at: 10, length: 3 },
      { op: 'insert', at: 0, token: '---\n' },
      { op: 'swap-lines', a: 1, b: 2 },
      { op: 'duplicate-line', line: 3 },
      { op: 'indent', line: 4, by: 2, tab: false },
      { op: 'quote-number', nth: 0 },
      { op: 'number-for-string', nth: 0, value: 7 },
      { op: 'replace-number', nth: 0, value: '1e400' },
      { op: 'rename-key', nth: 2, to: 0 },
      { op: 'nest', nth: 1, depth: 3, style: 'block-map' },
      { op: 'alias', anchor: 1, alias: 2, merge: false },
      { op: 'truncate', at: 100 },
      { op: 'line-endings', eol: '\r\n' },
    ];
    for (const sample of samples) assert.notEqual(mutate(text, sample), text, sample.op);
  });
});

describe('mutated manifests', () => {
  test('always yield located issues with known codes, never a throw, within the time bound', (t) => {
    const parameters = fuzzParameters(400);
    t.diagnostic(`seed ${parameters.seed}, ${parameters.numRuns} runs, bound ${MAX_MS} ms per input`);
    let slowest = 0;
    fc.assert(
      fc.property(fuzzCase, (fuzz) => {
        const files = filesOf(fuzz);
        const result = buildAndCheck(files);
        slowest = Math.max(slowest, result.ms);
        assertSound(result, files);
      }),
      parameters,
    );
    t.diagnostic(`slowest build ${slowest.toFixed(1)} ms`);
  });

  test('a key written twice is a located duplicate-key error', () => {
    const result = buildAndCheck([
      {
        path: 'dup.yaml',
        text: 'apiVersion: sextant.dev/v1\nkind: Team\nmetadata: {name: a, name: b}\nspec: {}\n',
      },
    ]);
    assert.deepEqual(result.violations, []);
    assert.deepEqual(result.codes, ['yaml.duplicate-key']);
  });

  test('a NUL byte, a BOM and a tab-indented line are syntax errors, not crashes', () => {
    for (const text of ['apiVersion: sextant.dev/v1\u0000\n', '\uFEFF\uFEFFkind: Team\n', 'a:\n\tb: 1\n']) {
      const result = buildAndCheck([{ path: 'x.yaml', text }]);
      assert.deepEqual(result.violations, [], JSON.stringify(text));
      assert.ok(result.errors > 0, JSON.stringify(text));
    }
  });

  test('a syntax error does not shift the positions of the issues after it', () => {
    const text =
      '- a\nb: |\n  one\n  two\n---\napiVersion: sextant.dev/v1\nkind: Team\nmetadata: {name: Bad_Name}\nspec: {}\n';
    const result = buildAndCheck([{ path: 'x.yaml', text }]);
    const name = result.issues.find((issue) => issue.code === 'name.invalid');
    // "Bad_Name" is on line 8 after "metadata: {name: " (17 characters); it is reported at 6:18.
    assert.deepEqual([name?.line, name?.column], [8, 18]);
  });
});

// ---------------------------------------------------------------------------------------
// Inputs built to exhaust a parser. Each runs in a worker with a deadline and a heap
// limit, so a regression fails the test instead of hanging or killing it.

/** Billion laughs: `levels` levels of anchors, each a list of `width` aliases to the previous. */
function aliasBomb(levels: number, width: number): string {
  const lines = [`  l0: &l0 [${Array(width).fill('"lol"').join(', ')}]`];
  for (let level = 1; level < levels; level++)
    lines.push(
      `  l${level}: &l${level} [${Array(width)
        .fill(`*l${level - 1}`)
        .join(', ')}]`,
    );
  return `apiVersion: sextant.dev/v1\nkind: Team\nmetadata: {name: bomb}\nlols:\n${lines.join('\n')}\nspec:\n  members: *l${levels - 1}\n`;
}

const TEAM_HEAD = 'apiVersion: sextant.dev/v1\nkind: Team\nmetadata: {name: deep}\nspec:\n  members: ';

describe('aliases and resource exhaustion', () => {
  test('an alias to an undefined anchor is a located issue rather than a throw', () => {
    // An alias before its anchor, one to an anchor of another document, one to none.
    for (const text of ['a: *x\n', 'a: &x 1\n---\nb: *x\n', 'kind: *k\nx: &k Team\n']) {
      const result = buildAndCheck([{ path: 'alias.yaml', text }]);
      assert.deepEqual(result.violations, [], JSON.stringify(text));
      assert.ok(result.errors > 0, JSON.stringify(text));
    }
  });

  test('an anchor reused through an alias gives the same value twice', () => {
    const text = `apiVersion: sextant.dev/v1
kind: Team
metadata: {name: a, labels: &labels {group: platform}, annotations: *labels}
spec:
  onCall: {schedule: &who primary}
  members: [*who]
`;
    const result = buildAndCheck([{ path: 'alias.yaml', text }]);
    assert.deepEqual([result.codes, result.violations], [[], []]);
  });

  test('an alias bomb is cut off within the time bound, in bounded memory', async () => {
    for (const [levels, width] of [
      [9, 9],
      [30, 2],
      [3, 3000],
    ] as const) {
      const files = [{ path: 'bomb.yaml', text: aliasBomb(levels, width) }];
      const outcome = await runIsolated<CheckedBuild>(INVARIANTS, 'buildAndCheck', [files], {
        timeoutMs: 10 * MAX_MS,
        maxHeapMb: 256,
      });
      assert.equal(outcome.status, 'returned', `${levels} levels of ${width}: ${outcome.status}`);
      if (outcome.status !== 'returned') return;
      assert.ok(outcome.ms < MAX_MS, `${levels} levels of ${width}: ${outcome.ms.toFixed(0)} ms`);
      // A Node process with the catalog modules loaded peaks near 100 MB; a billion strings would need 10 GB.
      assert.ok(outcome.maxRssMb < 300, `${levels} levels of ${width}: ${outcome.maxRssMb.toFixed(0)} MB`);
    }
  });

  test('an alias bomb is reported as a located issue rather than thrown', () => {
    const result = buildAndCheck([{ path: 'bomb.yaml', text: aliasBomb(9, 9) }]);
    assert.deepEqual(result.violations, []);
    assert.ok(result.errors > 0);
  });

  test('nesting 500 levels deep is reported as a schema problem', () => {
    for (const [open, close] of [
      ['[', ']'],
      ['{a: ', '}'],
    ]) {
      const text = `${TEAM_HEAD}${open!.repeat(500)}1${close!.repeat(500)}\n`;
      const result = buildAndCheck([{ path: 'deep.yaml', text }]);
      assert.deepEqual(result.violations, []);
      assert.ok(result.errors > 0);
    }
  });

  test('nesting thousands of levels deep is reported, not a stack overflow', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom('[', '{a: '), (depth, open) => {
        const close = open === '[' ? ']' : '}';
        const text = `${TEAM_HEAD}${open.repeat(depth)}1${close.repeat(depth)}\n`;
        assertSound(buildAndCheck([{ path: 'deep.yaml', text }]), []);
      }),
      { seed: fuzzParameters(20).seed, numRuns: 20, endOnFailure: true },
    );
  });

  test('a tenant pattern with many wildcards is matched in linear time', async () => {
    const text = `apiVersion: sextant.dev/v1
kind: Tenant
metadata: {name: ${'a'.repeat(60)}}
---
apiVersion: sextant.dev/v1
kind: Service
metadata: {name: s}
spec: {owner: t, tier: low, instances: {tenants: ['${'a*'.repeat(12)}b']}}
`;
    const files = [{ path: 'tenants.yaml', text }];
    const outcome = await runIsolated(INVARIANTS, 'buildAndCheck', [files], { timeoutMs: 2 * MAX_MS });
    assert.equal(outcome.status, 'returned');
  });

  test('a long misspelled reference costs time and memory linear in its length', async () => {
    const team = `apiVersion: sextant.dev/v1\nkind: Team\nmetadata: {name: ${'a'.repeat(20_000)}}\nspec: {}\n`;
    const service = `apiVersion: sextant.dev/v1\nkind: Service\nmetadata: {name: s}\nspec: {owner: ${'b'.repeat(20_000)}, tier: low}\n`;
    const files = [
      { path: 'team.yaml', text: team },
      { path: 'service.yaml', text: service },
    ];
    const outcome = await runIsolated(INVARIANTS, 'buildAndCheck', [files], {
      timeoutMs: 2 * MAX_MS,
      maxHeapMb: 256,
    });
    assert.equal(outcome.status, 'returned');
  });
});
