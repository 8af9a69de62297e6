import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildCatalog } from '../../catalog/index.ts';
import {
  type BackstageIssue,
  collectBackstageInputs,
  collectBackstageInputsFromDisk,
  importBackstage,
} from './index.ts';

/** An in-memory file tree for `read` and `list`: paths to contents; directories are implied. */
function memoryFs(files: Record<string, string>) {
  const paths = Object.keys(files);
  return {
    read: async (path: string) => files[path],
    list: async (dir: string) => {
      const prefix = dir === '.' ? '' : `${dir.replace(/\/$/, '')}/`;
      const names = new Set<string>();
      for (const path of paths)
        if (path.startsWith(prefix)) names.add(path.slice(prefix.length).split('/')[0]!);
      return names.size > 0 ? [...names] : undefined;
    },
  };
}

const location = (...targets: string[]) =>
  `apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: l\nspec:\n  targets:\n${targets.map((t) => `    - ${t}\n`).join('')}`;
const group = (name: string) =>
  `apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: ${name}\nspec:\n  type: team\n  children: []\n`;

function where(issue: BackstageIssue | undefined): string {
  return `${issue?.file}:${issue?.line}:${issue?.column}`;
}

describe('collectBackstageInputs', () => {
  test('a Location target is read relative to the Location file', async () => {
    const fs = memoryFs({
      'org/catalog-info.yaml': location('./teams/a.yaml'),
      'org/teams/a.yaml': group('a'),
    });
    const { inputs, issues } = await collectBackstageInputs(['org/catalog-info.yaml'], fs.read, fs.list);
    assert.deepEqual(
      inputs.map((input) => input.path),
      ['org/catalog-info.yaml', 'org/teams/a.yaml'],
    );
    assert.deepEqual(issues, []);
  });

  test('spec.target (singular) and ../ paths are followed too', async () => {
    const fs = memoryFs({
      'a/loc.yaml':
        'apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: l}\nspec:\n  target: ../b/x.yaml\n',
      'b/x.yaml': group('x'),
    });
    const { inputs } = await collectBackstageInputs(['a/loc.yaml'], fs.read, fs.list);
    assert.deepEqual(
      inputs.map((input) => input.path),
      ['a/loc.yaml', 'b/x.yaml'],
    );
  });

  test('a loop a -> b -> a is reported once, at the target that closes it, and each file is read once', async () => {
    const fs = memoryFs({ 'a.yaml': location('./b.yaml'), 'b.yaml': location('./a.yaml') });
    const { inputs, issues } = await collectBackstageInputs(['a.yaml'], fs.read, fs.list);
    assert.deepEqual(
      inputs.map((input) => input.path),
      ['a.yaml', 'b.yaml'],
    );
    assert.deepEqual(
      issues.map((issue) => [issue.code, issue.severity, where(issue)]),
      [['location.loop', 'warning', 'b.yaml:7:7']],
    );
    assert.match(issues[0]?.message ?? '', /a\.yaml -> b\.yaml -> a\.yaml/);
  });

  test('a Location listing itself is a loop', async () => {
    const fs = memoryFs({ 'self.yaml': location('./self.yaml') });
    const { issues } = await collectBackstageInputs(['self.yaml'], fs.read, fs.list);
    assert.deepEqual(
      issues.map((issue) => issue.code),
      ['location.loop'],
    );
  });

  test('two Locations sharing a target (a diamond) is not a loop', async () => {
    const fs = memoryFs({
      'root.yaml': location('./left.yaml', './right.yaml'),
      'left.yaml': location('./shared.yaml'),
      'right.yaml': location('./shared.yaml'),
      'shared.yaml': group('shared'),
    });
    const { inputs, issues } = await collectBackstageInputs(['root.yaml'], fs.read, fs.list);
    assert.deepEqual(
      inputs.map((input) => input.path),
      ['root.yaml', 'left.yaml', 'shared.yaml', 'right.yaml'],
    );
    assert.deepEqual(issues, []);
  });

  test('a missing target is an error, unless presence is optional', async () => {
    const fs = memoryFs({
      'required.yaml': location('./gone.yaml'),
      'optional.yaml':
        'apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: o}\nspec:\n  presence: optional\n  target: ./gone-too.yaml\n',
    });
    const { issues } = await collectBackstageInputs(['required.yaml', 'optional.yaml'], fs.read, fs.list);
    assert.deepEqual(
      issues.map((issue) => [issue.code, issue.severity, where(issue)]),
      [
        ['input.unreadable', 'info', 'optional.yaml:6:11'],
        ['input.unreadable', 'error', 'required.yaml:7:7'],
      ],
    );
  });

  test('a URL target is noted as not fetchable offline, and not read', async () => {
    const fs = memoryFs({
      'org.yaml': location('https://github.com/myorg/myproject/org-data-dump/catalog-info-staff.yaml'),
    });
    const { inputs, issues } = await collectBackstageInputs(['org.yaml'], fs.read, fs.list);
    assert.equal(inputs.length, 1);
    assert.deepEqual(
      issues.map((issue) => [issue.code, issue.severity]),
      [['location.url', 'warning']],
    );
  });

  test('a Location of another type (e.g. github-discovery) is skipped with a warning', async () => {
    const fs = memoryFs({
      'gh.yaml':
        'apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: g}\nspec:\n  type: github-discovery\n  target: https://github.com/org\n',
    });
    const { issues } = await collectBackstageInputs(['gh.yaml'], fs.read, fs.list);
    assert.deepEqual(
      issues.map((issue) => [issue.code, where(issue)]),
      [['location.type', 'gh.yaml:5:9']],
    );
  });

  test('a pattern that matches nothing is a warning', async () => {
    const fs = memoryFs({ 'root.yaml': location('./teams/*.yaml') });
    const { issues } = await collectBackstageInputs(['root.yaml'], fs.read, fs.list);
    assert.deepEqual(
      issues.map((issue) => issue.code),
      ['location.no-match'],
    );
  });

  test('a path that cannot be read is an error on that path', async () => {
    const fs = memoryFs({});
    const { inputs, issues } = await collectBackstageInputs(['nope.yaml'], fs.read, fs.list);
    assert.deepEqual(inputs, []);
    assert.deepEqual(
      issues.map((issue) => [issue.code, issue.file]),
      [['input.unreadable', 'nope.yaml']],
    );
  });

  test('a YAML syntax error does not stop collection (importBackstage reports it)', async () => {
    const fs = memoryFs({ 'bad.yaml': 'kind: [', 'ok.yaml': group('ok') });
    const { inputs, issues } = await collectBackstageInputs(['bad.yaml', 'ok.yaml'], fs.read, fs.list);
    assert.equal(inputs.length, 2);
    assert.deepEqual(issues, []);
  });
});

describe('collectBackstageInputsFromDisk on the fixtures', () => {
  const dir = fileURLToPath(new URL('./fixtures/', import.meta.url));

  test('./teams/*.yaml picks team-a and team-b, not notes.txt or the hidden draft', async () => {
    const root = join(dir, 'locations', 'catalog-info.yaml');
    const { inputs, issues } = await collectBackstageInputsFromDisk([root]);
    assert.deepEqual(
      inputs.map((input) => input.path),
      [
        root,
        join(dir, 'locations/teams/team-a.yaml'),
        join(dir, 'locations/teams/team-b.yaml'),
        join(dir, 'locations/services/catalog-info.yaml'),
      ],
    );
    // The URL target (line 9) and ./missing.yaml (line 10) are reported at their targets.
    assert.deepEqual(
      issues.map((issue) => [issue.code, issue.severity, issue.line, issue.column]),
      [
        ['location.url', 'warning', 9, 7],
        ['input.unreadable', 'error', 10, 7],
      ],
    );
  });

  test('a directory is searched recursively; the loop between a.yaml and b.yaml is reported once', async () => {
    const { inputs, issues } = await collectBackstageInputsFromDisk([join(dir, 'loop')]);
    assert.deepEqual(
      inputs.map((input) => input.path),
      [join(dir, 'loop/a.yaml'), join(dir, 'loop/b.yaml')],
    );
    assert.deepEqual(
      issues.map((issue) => [issue.code, issue.file, issue.line]),
      [['location.loop', join(dir, 'loop/b.yaml'), 7]],
    );
  });

  test('collected files import into a valid catalog: svc owned by team-a, teams a and b', async () => {
    const { inputs } = await collectBackstageInputsFromDisk([join(dir, 'locations')]);
    const result = importBackstage(inputs);
    assert.deepEqual(
      result.files.map((file) => file.path),
      ['services/svc.yaml', 'teams/team-a.yaml', 'teams/team-b.yaml'],
    );
    const build = buildCatalog(result.files);
    assert.equal(build.valid, true);
    assert.equal(build.catalog.services.get('svc')?.owner, 'team-a');
  });
});
