import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runSextant } from '../../test/support/cli.ts';
import { manifestJsonSchema } from '../catalog/index.ts';

/** The CLI in-process, with captured output (test/support/cli.ts). */
const run = (args: string[]) => runSextant(args);

const TEAM = `apiVersion: sextant.dev/v1
kind: Team
metadata: {name: core}
spec:
  onCall: {schedule: core-primary}
`;
const SERVICES = `apiVersion: sextant.dev/v1
kind: Service
metadata: {name: web, title: Web frontend}
spec:
  owner: core
  tier: high
  dependsOn: [api]
  slis:
    - name: availability
      kind: ratio
      bad: {selector: 'http_requests_total{job="web",code=~"5.."}'}
      total: {selector: 'http_requests_total{job="web"}'}
  slos:
    - name: availability
      sli: availability
      objectivePercent: 99.5
---
apiVersion: sextant.dev/v1
kind: Service
metadata: {name: api}
spec:
  owner: core
  tier: critical
  dependsOn: [{service: web, kind: soft}]
  slis:
    - name: requests
      kind: events
  slos:
    - name: requests
      sli: requests
      objectiveRatio: 0.999
`;

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sextant-cli-'));
  await writeFile(join(dir, 'team.yaml'), TEAM);
  await writeFile(join(dir, 'services.yaml'), SERVICES);
  await writeFile(join(dir, 'broken.yml.txt'), 'not a manifest');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sextant validate', () => {
  test('a valid catalog exits 0 and prints a summary', async () => {
    const result = await run(['validate', dir]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /valid: 2 file\(s\): 2 services, 1 teams, 0 journeys, 0 tenants; 0 error\(s\), 0 warning\(s\)/,
    );
  });

  test('an invalid catalog exits 1 with file:line:column for each problem', async () => {
    const bad = join(dir, 'bad');
    await writeFile(`${bad}.yaml`, SERVICES.replace('owner: core\n  tier: high', 'owner: cor\n  tier: high'));
    try {
      const result = await run(['validate', `${bad}.yaml`, join(dir, 'team.yaml')]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /bad\.yaml:5:10: error ref\.unknown-team: .*Did you mean "core"\?/);
    } finally {
      await rm(`${bad}.yaml`);
    }
  });

  test('--format json prints the same issues as data', async () => {
    const result = await run(['validate', join(dir, 'services.yaml'), '--format', 'json']);
    assert.equal(result.code, 1);
    const report = JSON.parse(result.stdout) as { valid: boolean; issues: { code: string; line: number }[] };
    assert.equal(report.valid, false);
    assert.deepEqual(
      report.issues.map((issue) => issue.code),
      ['ref.unknown-team', 'ref.unknown-team'],
    );
  });

  test('--strict turns warnings into failure', async () => {
    const noOnCall = join(dir, 'strict');
    await writeFile(
      `${noOnCall}-team.yaml`,
      TEAM.replace('  onCall: {schedule: core-primary}\n', '  members: []\n'),
    );
    await writeFile(`${noOnCall}-services.yaml`, SERVICES);
    try {
      assert.equal((await run(['validate', `${noOnCall}-team.yaml`, `${noOnCall}-services.yaml`])).code, 0);
      assert.equal(
        (await run(['validate', '--strict', `${noOnCall}-team.yaml`, `${noOnCall}-services.yaml`])).code,
        1,
      );
    } finally {
      await rm(`${noOnCall}-team.yaml`);
      await rm(`${noOnCall}-services.yaml`);
    }
  });

  test('a missing path is an error that names the path', async () => {
    const result = await run(['validate', join(dir, 'nope')]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /nope: error manifest\.not-object: cannot read: no such file or directory/);
  });

  test('an unknown flag is a usage error with exit code 2', async () => {
    const result = await run(['validate', '--colour']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Unknown option '--colour'/);
  });

  test('a bad --format value is a usage error', async () => {
    assert.equal((await run(['validate', dir, '--format', 'xml'])).code, 2);
  });

  test('--codes lists every code', async () => {
    const result = await run(['validate', '--codes']);
    assert.match(result.stdout, /^dependency\.cycle +Services depend on each other in a cycle\.$/m);
  });
});

describe('sextant catalog', () => {
  test('list shows owners, tiers and SLOs', async () => {
    const result = await run(['catalog', 'list', '--catalog', dir]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^api +core +critical +production +requests 99\.9%\/28d +web~$/m);
    assert.match(result.stdout, /^web +core +high +production +availability 99\.5%\/28d +api$/m);
  });

  test('show describes a service with its dependents', async () => {
    const result = await run(['catalog', 'show', 'api', '--catalog', dir]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /dependency of: web/);
    assert.match(result.stdout, /requests: 99\.9% of api\/requests over 28d, occurrences/);
  });

  test('show of an unknown name exits 1', async () => {
    assert.equal((await run(['catalog', 'show', 'nothing', '--catalog', dir])).code, 1);
  });

  test('graph prints DOT with soft edges dashed', async () => {
    const result = await run(['catalog', 'graph', '--catalog', dir, '--format', 'dot']);
    assert.match(result.stdout, /"api" -> "web" \[style=dashed\];/);
    assert.match(result.stdout, /"web" -> "api";/);
  });

  test('a missing action is a usage error', async () => {
    assert.equal((await run(['catalog', '--catalog', dir])).code, 2);
  });
});

describe('sextant help and schema', () => {
  test('no arguments prints the overview with exit code 2', async () => {
    const result = await run([]);
    assert.equal(result.code, 2);
    assert.match(result.stdout, /usage: sextant <command>/);
  });

  test('an unknown command exits 2', async () => {
    assert.equal((await run(['frobnicate'])).code, 2);
  });

  test('the committed JSON Schema is the one the code generates', async () => {
    const committed = JSON.parse(
      await readFile(new URL('../../schema/sextant.v1.json', import.meta.url), 'utf8'),
    );
    assert.deepEqual(committed, manifestJsonSchema(), 'run: npm run schema');
  });
});
