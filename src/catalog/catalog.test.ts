import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PAYMENTS_SERVICES as SERVICE, PAYMENTS_TEAM as TEAM } from '../../test/support/manifests.ts';
import { buildCatalog, type CatalogIssue, ISSUE_CODES, type IssueCode } from './index.ts';

function build(files: Record<string, string>) {
  return buildCatalog(Object.entries(files).map(([path, text]) => ({ path, text })));
}

/** Builds the base catalog with `service` replacing SERVICE, returns the issues with `code`. */
function issuesOf(code: IssueCode, files: Record<string, string>): CatalogIssue[] {
  return build(files).issues.filter((issue) => issue.code === code);
}

function only(code: IssueCode, files: Record<string, string>): CatalogIssue {
  const found = issuesOf(code, files);
  assert.equal(found.length, 1, `expected one ${code}, got ${JSON.stringify(build(files).issues, null, 1)}`);
  return found[0]!;
}

describe('a valid catalog', () => {
  test('builds with no issues and normalizes objectives to ratios', () => {
    const result = build({ 'team.yaml': TEAM, 'services.yaml': SERVICE });
    assert.deepEqual(result.issues, []);
    assert.equal(result.valid, true);
    const payments = result.catalog.services.get('payments')!;
    assert.equal(payments.slos[0]!.objectiveRatio, 0.999);
    assert.deepEqual(payments.slos[0]!.definition.window, { kind: 'rolling', minutes: 28 * 1440 });
    assert.equal(payments.slis[0]!.severity, 's1', 'critical services default to severity s1');
    assert.equal(payments.slis[0]!.team, 'payments-team', 'SLIs inherit the service owner');
    const ledger = result.catalog.services.get('ledger')!;
    assert.deepEqual(ledger.slos[0]!.definition.window, {
      kind: 'calendar',
      unit: 'month',
      timeZone: 'Europe/Berlin',
    });
  });

  test('gets the four SRE Workbook alert tiers by default', () => {
    const slo = build({ 'team.yaml': TEAM, 's.yaml': SERVICE }).catalog.services.get('payments')!.slos[0]!;
    assert.deepEqual(
      slo.definition.alerting.tiers.map((t) => [
        t.name,
        t.severity,
        t.budgetShare,
        t.longMinutes,
        t.shortMinutes,
      ]),
      [
        ['page-1h', 'page', 0.02, 60, 5],
        ['page-6h', 'page', 0.05, 360, 30],
        ['ticket-1d', 'ticket', 0.1, 1440, 120],
        ['ticket-3d', 'ticket', 0.1, 4320, 360],
      ],
    );
    assert.equal(slo.definition.alerting.minEvents, 3600);
  });

  test('every issue code has a meaning and a test that produces it', async () => {
    const { readFile } = await import('node:fs/promises');
    const tests = await readFile(new URL(import.meta.url), 'utf8');
    for (const [code, meaning] of Object.entries(ISSUE_CODES)) {
      assert.ok(meaning.length > 10, code);
      assert.ok(tests.includes(`'${code}'`), `no test in this file produces ${code}`);
    }
  });
});

describe('YAML and manifest shape', () => {
  test('a YAML syntax error is located', () => {
    const issue = only('yaml.syntax', { 'bad.yaml': 'apiVersion: sextant.dev/v1\nkind: [Team\n' });
    assert.equal(issue.file, 'bad.yaml');
    assert.equal(issue.line, 3);
  });

  test('a duplicate key is reported at the second key', () => {
    const issue = only('yaml.duplicate-key', {
      'dup.yaml': 'apiVersion: sextant.dev/v1\nkind: Team\nkind: Team\nmetadata: {name: a}\nspec: {}\n',
    });
    assert.equal(issue.line, 3);
  });

  test('a document that is not a mapping is rejected', () => {
    assert.equal(only('manifest.not-object', { 'x.yaml': '- a\n- b\n' }).line, 1);
  });

  test('a wrong apiVersion says which one to write', () => {
    const issue = only('manifest.api-version', { 'x.yaml': 'apiVersion: v1\nkind: Team\n' });
    assert.match(issue.message, /sextant\.dev\/v1/);
    assert.deepEqual([issue.line, issue.column], [1, 13]);
  });

  test('a misspelled kind gets a suggestion', () => {
    const issue = only('manifest.kind', { 'x.yaml': 'apiVersion: sextant.dev/v1\nkind: Servise\n' });
    assert.match(issue.message, /Did you mean "Service"/);
    assert.equal(issue.line, 2);
  });

  test('a missing required field is reported at its parent', () => {
    const issue = only('schema.required', {
      'x.yaml': 'apiVersion: sextant.dev/v1\nkind: Service\nmetadata:\n  name: a\nspec:\n  owner: t\n',
    });
    assert.deepEqual(issue.path, ['spec', 'tier']);
    assert.equal(issue.line, 6, 'points into the spec mapping');
  });

  test('a wrong type names the expected type', () => {
    const issue = only('schema.type', {
      'x.yaml': 'apiVersion: sextant.dev/v1\nkind: Team\nmetadata:\n  name: 5\nspec: {}\n',
    });
    assert.match(issue.message, /must be a string, not number 5/);
    assert.deepEqual([issue.line, issue.column], [4, 9]);
  });

  test('a value outside an enum lists the allowed values and the closest', () => {
    const issue = only('schema.value', {
      'x.yaml':
        'apiVersion: sextant.dev/v1\nkind: Service\nmetadata: {name: a}\nspec:\n  owner: t\n  tier: critcal\n',
    });
    assert.match(issue.message, /Did you mean "critical"/);
    assert.deepEqual([issue.line, issue.column], [6, 9]);
  });

  test('an unknown field points at the key and suggests the real one', () => {
    const text = SERVICE.replace(
      '    - name: availability\n      sli: availability',
      '    - name: availability\n      slii: availability',
    );
    const issue = issuesOf('schema.unknown-field', { 't.yaml': TEAM, 's.yaml': text })[0]!;
    assert.match(issue.message, /unknown field "slii".*Did you mean "sli"/);
    assert.deepEqual([issue.line, issue.column], [18, 7]);
  });

  test('a misspelled field inside a union branch is reported in that branch', () => {
    const text = SERVICE.replace(
      'selector: http_requests_total{job="payments"}',
      'selectr: http_requests_total{job="payments"}',
    );
    const issue = issuesOf('schema.unknown-field', { 't.yaml': TEAM, 's.yaml': text })[0]!;
    assert.match(issue.message, /"selectr".*Did you mean "selector"/);
  });

  test('an empty list of journey parts is out of range', () => {
    const journey =
      'apiVersion: sextant.dev/v1\nkind: Journey\nmetadata: {name: j}\nspec:\n  owner: payments-team\n  parts: []\n';
    assert.equal(only('schema.range', { 't.yaml': TEAM, 'j.yaml': journey }).line, 6);
  });

  test('an SLI with an unknown kind matches no accepted form', () => {
    const text = SERVICE.replace('kind: events', 'kind: eventz');
    const issue = only('schema.invalid', { 't.yaml': TEAM, 's.yaml': text });
    assert.deepEqual(issue.path, ['spec', 'slis', 0, 'kind']);
  });

  test('an alias without an anchor is located at the alias', () => {
    const issue = only('yaml.alias', {
      'x.yaml': 'apiVersion: sextant.dev/v1\nkind: Team\nmetadata: {name: *team}\nspec: {}\n',
    });
    assert.deepEqual([issue.line, issue.column], [3, 18]);
  });

  test('a significant label that is not a Prometheus label name is a format error', () => {
    const text = SERVICE.replace(
      '    - name: writes\n      kind: events',
      '    - name: writes\n      kind: events\n      significantLabels: [job-name]',
    );
    assert.match(
      only('schema.format', { 't.yaml': TEAM, 's.yaml': text }).message,
      /"job-name" is not a Prometheus label name/,
    );
  });
});

describe('names and references', () => {
  test('an invalid name suggests a valid one', () => {
    const issue = only('name.invalid', {
      'x.yaml': 'apiVersion: sextant.dev/v1\nkind: Team\nmetadata: {name: Payments_Team}\nspec: {}\n',
    });
    assert.match(issue.message, /"payments-team"/);
  });

  test('a duplicate service across files names the first definition', () => {
    const copy = SERVICE.split('---')[1]!;
    const issue = only('name.duplicate', { 't.yaml': TEAM, 'a.yaml': SERVICE, 'b.yaml': copy });
    assert.equal(issue.file, 'b.yaml');
    assert.match(issue.message, /already defined at a\.yaml:\d+/);
  });

  test('two SLIs with one name in a service are duplicates', () => {
    const text = SERVICE.replace(
      '    - name: writes\n      kind: events',
      '    - name: writes\n      kind: events\n    - name: writes\n      kind: events',
    );
    assert.equal(issuesOf('name.duplicate', { 't.yaml': TEAM, 's.yaml': text }).length, 1);
  });

  test('an unknown owner suggests the closest team', () => {
    const issue = issuesOf('ref.unknown-team', {
      't.yaml': TEAM,
      's.yaml': SERVICE.replace('owner: payments-team', 'owner: payment-team'),
    })[0]!;
    assert.match(issue.message, /Did you mean "payments-team"/);
    assert.deepEqual([issue.file, issue.line, issue.column], ['s.yaml', 6, 10]);
  });

  test('an unknown dependency suggests the closest service', () => {
    const issue = only('ref.unknown-service', {
      't.yaml': TEAM,
      's.yaml': SERVICE.replace('dependsOn: [ledger]', 'dependsOn: [ledgr]'),
    });
    assert.match(issue.message, /Did you mean "ledger"/);
    assert.equal(issue.line, 8);
  });

  test('a service depending on itself is reported', () => {
    only('ref.self', {
      't.yaml': TEAM,
      's.yaml': SERVICE.replace('dependsOn: [ledger]', 'dependsOn: [payments]'),
    });
  });

  test('a tenant pattern must match a tenant when tenants are declared', () => {
    const tenant =
      'apiVersion: sextant.dev/v1\nkind: Tenant\nmetadata: {name: dedicated-acme}\nspec: {dedicated: true}\n';
    const good = SERVICE.replace(
      '  tier: critical\n',
      '  tier: critical\n  instances: {tenants: [dedicated-*]}\n',
    );
    assert.deepEqual(build({ 't.yaml': TEAM, 'n.yaml': tenant, 's.yaml': good }).issues, []);
    const bad = SERVICE.replace(
      '  tier: critical\n',
      '  tier: critical\n  instances: {tenants: [shared-*]}\n',
    );
    only('ref.unknown-tenant', { 't.yaml': TEAM, 'n.yaml': tenant, 's.yaml': bad });
  });

  test('a hard dependency cycle is reported once with its path', () => {
    const cyclic = SERVICE.replace('  tier: high\n', '  tier: high\n  dependsOn: [payments]\n');
    const issue = only('dependency.cycle', { 't.yaml': TEAM, 's.yaml': cyclic });
    assert.match(issue.message, /ledger -> payments -> ledger/);
  });

  test('a cycle through a soft dependency is allowed', () => {
    const soft = SERVICE.replace(
      '  tier: high\n',
      '  tier: high\n  dependsOn: [{service: payments, kind: soft}]\n',
    );
    assert.deepEqual(issuesOf('dependency.cycle', { 't.yaml': TEAM, 's.yaml': soft }), []);
  });

  test('teams that are each other’s parents are a cycle', () => {
    const a = TEAM.replace('  members', '  parent: other\n  members');
    const b =
      'apiVersion: sextant.dev/v1\nkind: Team\nmetadata: {name: other}\nspec: {parent: payments-team}\n';
    only('team.parent-cycle', { 'a.yaml': a, 'b.yaml': b });
  });

  test('an SLO naming an unknown SLI lists the SLIs that exist', () => {
    const issue = only('slo.unknown-sli', {
      't.yaml': TEAM,
      's.yaml': SERVICE.replace('sli: availability', 'sli: availabilty'),
    });
    assert.match(issue.message, /it has "availability".*Did you mean "availability"/);
  });

  test('a journey part naming an unknown SLI is reported', () => {
    const journey =
      'apiVersion: sextant.dev/v1\nkind: Journey\nmetadata: {name: pay}\nspec:\n  owner: payments-team\n  parts:\n    - sli: payments/availability\n    - sli: ledger/write\n';
    const issue = only('journey.unknown-sli', { 't.yaml': TEAM, 's.yaml': SERVICE, 'j.yaml': journey });
    assert.match(issue.message, /Did you mean "ledger\/writes"/);
    assert.equal(issue.line, 8);
  });
});

describe('objectives', () => {
  const withObjective = (line: string) => SERVICE.replace('objectivePercent: 99.9', line);
  test('a bare objective is ambiguous', () => {
    only('objective.ambiguous', { 't.yaml': TEAM, 's.yaml': withObjective('objective: 99.9') });
  });
  test('both forms at once are rejected', () => {
    only('objective.both', {
      't.yaml': TEAM,
      's.yaml': withObjective('objectivePercent: 99.9\n      objectiveRatio: 0.999'),
    });
  });
  test('a missing objective is reported', () => {
    only('objective.missing', { 't.yaml': TEAM, 's.yaml': withObjective('description: none') });
  });
  test('a percent written as a ratio is caught with both fixes', () => {
    const issue = only('objective.percent-as-ratio', {
      't.yaml': TEAM,
      's.yaml': withObjective('objectiveRatio: 99.9'),
    });
    assert.match(issue.message, /objectivePercent: 99\.9 or objectiveRatio: 0\.999/);
  });
  test('100 % leaves no budget and is out of range', () => {
    only('objective.out-of-range', { 't.yaml': TEAM, 's.yaml': withObjective('objectivePercent: 100') });
    only('objective.out-of-range', { 't.yaml': TEAM, 's.yaml': withObjective('objectiveRatio: 1') });
  });
  test('a percent of at most 1 is a warning, not an error', () => {
    const result = build({ 't.yaml': TEAM, 's.yaml': withObjective('objectivePercent: 0.999') });
    assert.equal(result.issues[0]?.code, 'objective.ratio-as-percent');
    assert.equal(result.valid, true);
  });
});

describe('windows, durations and budgeting', () => {
  const withWindow = (window: string) => SERVICE.replace('window: 28d', window);
  test('an unparsable window is reported', () => {
    assert.match(
      only('window.invalid', { 't.yaml': TEAM, 's.yaml': withWindow('window: 28 days') }).message,
      /rolling duration/,
    );
  });
  test('a bare calendar word asks for a time zone', () => {
    assert.match(
      only('window.invalid', { 't.yaml': TEAM, 's.yaml': withWindow('window: month') }).message,
      /timeZone/,
    );
  });
  test('an unknown time zone is reported at the zone', () => {
    only('window.time-zone', {
      't.yaml': TEAM,
      's.yaml': withWindow('window: {calendar: month, timeZone: Mars/Olympus}'),
    });
  });
  test('4w is the same window as 28d', () => {
    const slo = build({ 't.yaml': TEAM, 's.yaml': withWindow('window: 4w') }).catalog.services.get(
      'payments',
    )!.slos[0]!;
    assert.deepEqual(slo.definition.window, { kind: 'rolling', minutes: 40320 });
  });
  test('timeslices need a slice target', () => {
    only('budgeting.invalid', {
      't.yaml': TEAM,
      's.yaml': withWindow('window: 28d\n      budgeting: {method: timeslices}'),
    });
  });
  test('timeslices normalize percent targets and slice lengths', () => {
    const slo = build({
      't.yaml': TEAM,
      's.yaml': withWindow(
        'window: 28d\n      budgeting: {method: timeslices, slice: 5m, sliceTargetPercent: 95}',
      ),
    }).catalog.services.get('payments')!.slos[0]!;
    assert.deepEqual(slo.definition.budgeting, {
      method: 'timeslices',
      sliceMinutes: 5,
      sliceTargetRatio: 0.95,
      emptySlice: 'good',
    });
  });
  test('a slice that does not divide a day is rejected', () => {
    only('budgeting.invalid', {
      't.yaml': TEAM,
      's.yaml': withWindow('window: 28d\n      budgeting: {method: ratioTimeslices, slice: 7m}'),
    });
  });
  test('a malformed duration in an alert tier is reported', () => {
    only('duration.invalid', {
      't.yaml': TEAM,
      's.yaml': withWindow('window: 28d\n      alerting:\n        tiers:\n          page-1h: {for: 90s}'),
    });
  });
  test('a tier may fire at once with for: 0m', () => {
    const slo = build({
      't.yaml': TEAM,
      's.yaml': withWindow('window: 28d\n      alerting:\n        tiers:\n          page-1h: {for: 0m}'),
    }).catalog.services.get('payments')!.slos[0]!;
    assert.equal(slo.definition.alerting.tiers[0]!.forMinutes, 0);
  });
  test('a short window longer than the long window is inconsistent', () => {
    only('alerting.invalid', {
      't.yaml': TEAM,
      's.yaml': withWindow(
        'window: 28d\n      alerting:\n        tiers:\n          page-1h: {shortWindow: 2h}',
      ),
    });
  });
  test('a new tier gets its short window from the long one and keeps its factor', () => {
    const slo = build({
      't.yaml': TEAM,
      's.yaml': withWindow(
        'window: 28d\n      alerting:\n        tiers:\n          page-6h: {enabled: false}\n          slow: {longWindow: 2d, budgetPercent: 20, factor: 2}',
      ),
    }).catalog.services.get('payments')!.slos[0]!;
    const names = slo.definition.alerting.tiers.map((t) => t.name);
    assert.deepEqual(names, ['page-1h', 'ticket-1d', 'ticket-3d', 'slow']);
    const slow = slo.definition.alerting.tiers[3]!;
    assert.deepEqual(
      [slow.longMinutes, slow.shortMinutes, slow.budgetShare, slow.factor],
      [2880, 240, 0.2, 2],
    );
  });
  test('disabling alerting is a warning', () => {
    const result = build({
      't.yaml': TEAM,
      's.yaml': withWindow('window: 28d\n      alerting: {enabled: false}'),
    });
    assert.equal(result.issues[0]?.code, 'slo.no-alerting');
    assert.equal(result.valid, true);
  });
});

describe('SLIs, saturation and maintenance', () => {
  test('a bad selector is located with the character', () => {
    const issue = only('selector.invalid', {
      't.yaml': TEAM,
      's.yaml': SERVICE.replace(
        'selector: http_requests_total{job="payments"}',
        "selector: 'http_requests_total{job=payments}'",
      ),
    });
    // "http_requests_total{job=" is 24 characters, so the unquoted value starts at character 25.
    assert.match(issue.message, /character 25: expected a quoted string/);
  });
  test('PromQL sources need the $window placeholder', () => {
    only('promql.window-placeholder', {
      't.yaml': TEAM,
      's.yaml': SERVICE.replace(
        'selector: http_requests_total{job="payments"}',
        "promql: 'sum(rate(http_requests_total[5m]))'",
      ),
    });
  });
  test('a ratio SLI needs exactly one of good and bad', () => {
    const both = SERVICE.replace('      bad:\n', '      good:\n        selector: x\n      bad:\n');
    only('sli.invalid', { 't.yaml': TEAM, 's.yaml': both });
  });
  test('a latency SLI with tolerated below satisfied is inconsistent', () => {
    const sli = SERVICE.replace(
      '    - name: writes\n      kind: events',
      '    - name: writes\n      kind: events\n    - name: latency\n      kind: latency\n      histogram: http_request_duration_seconds\n      satisfiedSeconds: 1\n      toleratedSeconds: 0.5',
    );
    only('sli.invalid', { 't.yaml': TEAM, 's.yaml': sli });
  });
  test('a latency histogram named with its _bucket suffix is caught', () => {
    const sli = SERVICE.replace(
      '    - name: writes\n      kind: events',
      '    - name: writes\n      kind: events\n    - name: latency\n      kind: latency\n      histogram: http_request_duration_seconds_bucket\n      satisfiedSeconds: 1',
    );
    assert.match(only('sli.invalid', { 't.yaml': TEAM, 's.yaml': sli }).message, /without its suffix/);
  });
  test('a threshold SLI defaults to the worst sample of each minute', () => {
    const sli = SERVICE.replace(
      '    - name: writes\n      kind: events',
      '    - name: writes\n      kind: events\n    - name: lag\n      kind: threshold\n      gauge: {selector: pg_replication_lag_seconds}\n      operator: "<="\n      bound: 10',
    );
    const lag = build({ 't.yaml': TEAM, 's.yaml': sli }).catalog.services.get('ledger')!.slis[1]!;
    assert.equal(lag.kind === 'threshold' && lag.aggregation, 'max');
  });
  test('an SLO on a threshold SLI is not gated on events: an hour holds only 60 minute verdicts', () => {
    const text = SERVICE.replace(
      '    - name: writes\n      kind: events',
      '    - name: writes\n      kind: events\n    - name: lag\n      kind: threshold\n      gauge: {selector: pg_replication_lag_seconds}\n      operator: "<="\n      bound: 10',
    ).replace('      sli: writes\n', '      sli: lag\n');
    const ledger = build({ 't.yaml': TEAM, 's.yaml': text }).catalog.services.get('ledger')!;
    assert.equal(ledger.slos[0]!.definition.alerting.minEvents, 0);
  });
  test('saturation thresholds must be ratios with soft below hard', () => {
    const point = SERVICE.replace(
      '  slis:\n    - name: writes',
      '  saturationPoints:\n    - name: disk\n      utilization: {selector: disk_used_ratio}\n      soft: 90\n      hard: 0.8\n  slis:\n    - name: writes',
    );
    const issues = issuesOf('saturation.thresholds', { 't.yaml': TEAM, 's.yaml': point });
    assert.equal(issues.length, 2);
    assert.match(issues[0]!.message, /did you mean 0\.9/);
  });
  test('maintenance windows are checked and scoped to the SLOs they name', () => {
    const good = SERVICE.replace(
      '  slis:\n    - name: writes',
      "  maintenance:\n    - name: upgrade\n      start: '2026-12-01T02:00:00Z'\n      end: '2026-12-01T04:00:00Z'\n    - name: weekly\n      slos: [writes]\n      cron: '0 3 * * SUN'\n      duration: 1h\n      timeZone: Europe/Berlin\n  slis:\n    - name: writes",
    );
    const result = build({ 't.yaml': TEAM, 's.yaml': good });
    assert.deepEqual(result.issues, []);
    assert.deepEqual(result.catalog.services.get('ledger')!.slos[0]!.definition.maintenance, [
      {
        kind: 'once',
        startMinute: Date.UTC(2026, 11, 1, 2) / 60000,
        endMinute: Date.UTC(2026, 11, 1, 4) / 60000,
      },
      { kind: 'recurring', cron: '0 3 * * SUN', durationMinutes: 60, timeZone: 'Europe/Berlin' },
    ]);
    const bad = good
      .replace("end: '2026-12-01T04:00:00Z'", "end: '2026-11-30T04:00:00Z'")
      .replace("'0 3 * * SUN'", "'0 25 * * *'");
    assert.equal(issuesOf('maintenance.invalid', { 't.yaml': TEAM, 's.yaml': bad }).length, 2);
  });
});

describe('warnings', () => {
  test('a service without SLOs is a warning', () => {
    const text = SERVICE.replace(/ {2}slos:\n {4}- name: writes[\s\S]*$/, '');
    const result = build({ 't.yaml': TEAM, 's.yaml': text });
    assert.equal(issuesOf('service.no-slos', { 't.yaml': TEAM, 's.yaml': text })[0]?.severity, 'warning');
    assert.equal(result.valid, true);
  });
  test('an owning team without on-call is a warning', () => {
    const team = TEAM.replace('  onCall:\n    schedule: payments-primary\n', '');
    assert.equal(only('team.no-on-call', { 't.yaml': team, 's.yaml': SERVICE }).severity, 'warning');
  });
});

describe('reported bugs stay fixed', () => {
  test('a bad latency histogram selector is located at the histogram field', () => {
    const sli = SERVICE.replace(
      '    - name: writes\n      kind: events',
      `    - name: writes\n      kind: events\n    - name: latency\n      kind: latency\n      histogram: 'http_request_duration_seconds{job="api"'\n      satisfiedSeconds: 1`,
    );
    const issue = only('selector.invalid', { 't.yaml': TEAM, 's.yaml': sli });
    assert.deepEqual(issue.path, ['spec', 'slis', 1, 'histogram']);
    assert.equal(issue.line, 34, 'the line of histogram: in the second document');
  });

  test('default tiers longer than the SLO window are left out', () => {
    const slo = build({
      't.yaml': TEAM,
      's.yaml': SERVICE.replace('window: 28d', 'window: 1d'),
    }).catalog.services.get('payments')!.slos[0]!;
    assert.deepEqual(
      slo.definition.alerting.tiers.map((t) => t.name),
      ['page-1h', 'page-6h', 'ticket-1d'],
    );
  });

  test('the unknown tenant message reads cleanly', () => {
    const tenant = 'apiVersion: sextant.dev/v1\nkind: Tenant\nmetadata: {name: gprd-cell-1}\nspec: {}\n';
    const service = SERVICE.replace(
      '  tier: critical\n',
      '  tier: critical\n  instances: {tenants: [gprd-cell-3]}\n',
    );
    assert.match(
      only('ref.unknown-tenant', { 't.yaml': TEAM, 'n.yaml': tenant, 's.yaml': service }).message,
      /^tenant "gprd-cell-3" matches no Tenant/,
    );
  });
});
