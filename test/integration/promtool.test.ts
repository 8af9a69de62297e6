/**
 * The rendered Prometheus rules against the real `promtool` (Debian's `prometheus`
 * package): `check rules` on the example fleet and on the test catalog, and `test rules`
 * on the hand-worked scenarios in rules/*.promtest.yaml, which say at which minute each
 * alert tier fires and resolves.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { renderCommand } from '../../src/cli/cmd-render.ts';
import type { Io } from '../../src/cli/io.ts';
import { requirePeer } from '../support/peers.ts';

const PROMTOOL = Object.freeze({ binary: 'promtool', debianPackage: 'prometheus' });
const HERE = fileURLToPath(new URL('.', import.meta.url));
const FIXTURES = join(HERE, 'rules');
const REPO = join(HERE, '..', '..');
const FLEET = join(REPO, 'examples', 'fleet');

interface Run {
  code: number;
  output: string;
}

function run(command: string, args: readonly string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

/** Runs `sextant render prometheus-rules` in-process; returns exit code and stderr. */
async function render(paths: string[], out: string): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const io: Io = {
    stdout: () => {},
    stderr: (text) => {
      stderr += text;
    },
    cwd: REPO,
    env: {},
  };
  const code = await renderCommand.run([...paths, '--out', out], io);
  return { code, stderr };
}

async function promtool(t: TestContext): Promise<string | undefined> {
  return requirePeer(t, PROMTOOL);
}

describe('promtool check rules', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sextant-promtool-check-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('accepts the rules rendered for the test catalog', async (t) => {
    const bin = await promtool(t);
    if (bin === undefined) return;
    const out = join(dir, 'checkout.rules.yaml');
    const rendered = await render([join(FIXTURES, 'catalog')], out);
    assert.equal(rendered.code, 0, rendered.stderr);
    const checked = await run(bin, ['check', 'rules', out], dir);
    assert.equal(checked.code, 0, checked.output);
    assert.match(checked.output, /SUCCESS: \d+ rules found/);
  });

  test('accepts the rules of every rendering path, and reports the approximations', async (t) => {
    const bin = await promtool(t);
    if (bin === undefined) return;
    const out = join(dir, 'features.rules.yaml');
    const rendered = await render([join(FIXTURES, 'features')], out);
    assert.equal(rendered.code, 0, rendered.stderr);
    const checked = await run(bin, ['check', 'rules', out], dir);
    assert.equal(checked.code, 0, checked.output);
    for (const expected of [
      'warning: journey audited: not rendered',
      'warning: gateway/requests-timeslices: the calendar quarter is approximated by a rolling 91d',
      'warning: gateway/memory: maintenance windows are not applied',
    ]) {
      assert.ok(rendered.stderr.includes(expected), `${expected}\nin\n${rendered.stderr}`);
    }
    // Threshold SLIs default to minEvents 0, so no tier is silenced by event gating.
    assert.ok(!rendered.stderr.includes('can never fire'), rendered.stderr);
    const text = await readFile(out, 'utf8');
    assert.match(text, /# {3}gateway\/audit: not rendered: events SLIs/);
  });

  test('accepts the rules rendered for the example fleet', async (t) => {
    if (!existsSync(FLEET)) {
      t.skip('examples/fleet is not there yet');
      return;
    }
    const bin = await promtool(t);
    if (bin === undefined) return;
    const out = join(dir, 'fleet.rules.yaml');
    const rendered = await render([FLEET], out);
    assert.equal(rendered.code, 0, rendered.stderr);
    const checked = await run(bin, ['check', 'rules', out], dir);
    assert.equal(checked.code, 0, checked.output);
    const found = /SUCCESS: (\d+) rules found/.exec(checked.output);
    assert.ok(found && Number(found[1]) > 100, checked.output);
  });
});

describe(
  'promtool test rules: alerts fire and resolve at the hand-worked minutes',
  { concurrency: true },
  () => {
    let dir = '';
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'sextant-promtool-test-'));
      const annotated = join(dir, 'rules-annotated.yaml');
      const rendered = await render([join(FIXTURES, 'catalog')], annotated);
      assert.equal(rendered.code, 0, rendered.stderr);
      // promtool compares annotations too; annotations.promtest.yaml checks them once,
      // the scenarios compare labels only.
      const rules = parse(await readFile(annotated, 'utf8')) as {
        groups: { rules: Record<string, unknown>[] }[];
      };
      for (const group of rules.groups) for (const rule of group.rules) delete rule['annotations'];
      await writeFile(join(dir, 'rules.yaml'), stringify(rules));
      for (const file of await readdir(FIXTURES)) {
        if (file.endsWith('.promtest.yaml')) await copyFile(join(FIXTURES, file), join(dir, file));
      }
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    const scenarios = {
      'burn-rate.promtest.yaml':
        'burn-rate tiers, low-traffic gating, zero traffic, budget exhaustion and traffic cessation',
      'sli-kinds.promtest.yaml': 'latency apdex across le spellings, threshold minutes, journey weights',
      'annotations.promtest.yaml': 'summary, description and runbook annotations render with the burn rate',
    };
    for (const [file, what] of Object.entries(scenarios)) {
      test(`${file}: ${what}`, async (t) => {
        const bin = await promtool(t);
        if (bin === undefined) return;
        const result = await run(bin, ['test', 'rules', file], dir);
        assert.equal(result.code, 0, result.output);
        assert.match(result.output, /SUCCESS/);
      });
    }

    test('every promtest file in rules/ is run', async () => {
      const files = (await readdir(FIXTURES)).filter((file) => file.endsWith('.promtest.yaml')).sort();
      assert.deepEqual(files, Object.keys(scenarios).sort());
    });

    test('a wrong expected minute fails, so the scenarios can catch a regression', async (t) => {
      const bin = await promtool(t);
      if (bin === undefined) return;
      // page-1h of the busy region fires at minute 6 (T(1h) >= 3600 from 4, for 2m); claim 5.
      const text = await readFile(join(dir, 'annotations.promtest.yaml'), 'utf8');
      const mutated = text.replace('eval_time: 6m', 'eval_time: 5m');
      assert.notEqual(mutated, text);
      await writeFile(join(dir, 'mutated.promtest.yaml'), mutated);
      const result = await run(bin, ['test', 'rules', 'mutated.promtest.yaml'], dir);
      assert.notEqual(result.code, 0);
      assert.match(result.output, /tier="page-1h"/);
    });
  },
);
