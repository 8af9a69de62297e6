/**
 * `sextant demo`: the newcomer's first run. Validates the bundled example fleet and
 * prints what Sextant derived from it: services, owners, SLOs with their error budgets
 * and alert tiers, and the dependency summary.
 */

import { fileURLToPath } from 'node:url';
import { type Catalog, formatIssue } from '../catalog/index.ts';
import { loadCatalogFromPaths } from '../catalog-files/index.ts';
import { alertFactor, resolveWindow } from '../slo/index.ts';
import { dependencyText } from './cmd-catalog.ts';
import { type Command, EXIT, parseFlags } from './io.ts';
import { renderTable } from './table.ts';

const FLEET = fileURLToPath(new URL('../../examples/fleet/', import.meta.url));

export const demoCommand: Command = {
  name: 'demo',
  summary: 'Validate the bundled example fleet and show what Sextant derives from it.',
  usage: 'sextant demo [--catalog DIR]',
  async run(args, io) {
    const { values } = parseFlags(args, { catalog: { type: 'string' } }, false);
    const path = values.catalog ?? FLEET;
    io.stdout(`Sextant demo: validating the example fleet in ${values.catalog ?? 'examples/fleet/'}\n\n`);
    const { build, files } = await loadCatalogFromPaths([path]);
    for (const issue of build.issues) io.stdout(`${formatIssue(issue)}\n`);
    if (!build.valid) {
      io.stderr('the example fleet does not validate; see the errors above\n');
      return EXIT.invalid;
    }
    const { catalog } = build;
    io.stdout(
      `valid: ${files.length} files, ${catalog.services.size} services, ${catalog.teams.size} teams, ${catalog.journeys.size} journeys, ${catalog.tenants.size} tenants\n\n`,
    );
    io.stdout(servicesTable(catalog));
    io.stdout(`\n${sloTable(catalog, Date.now())}`);
    io.stdout(`\nDependencies\n${dependencyText(catalog)}`);
    io.stdout(
      '\nNext: sextant catalog show <service>, sextant catalog graph --format dot, sextant validate <your catalog>\n',
    );
    return EXIT.ok;
  },
};

function servicesTable(catalog: Catalog): string {
  const services = [...catalog.services.values()].sort((a, b) => a.name.localeCompare(b.name));
  return renderTable(
    ['SERVICE', 'OWNER', 'ON-CALL', 'TIER', 'LIFECYCLE', 'SLIS', 'SLOS', 'SATURATION'],
    services.map((service) => {
      const team = catalog.teams.get(service.owner);
      return [
        service.name,
        service.owner,
        team?.onCall?.schedule ?? team?.onCall?.email ?? '-',
        service.tier,
        service.lifecycle,
        String(service.slis.length),
        String(service.slos.length),
        String(service.saturationPoints.length),
      ];
    }),
  );
}

/** Every SLO with its budget in the units a person plans with. */
function sloTable(catalog: Catalog, atMs: number): string {
  const slos = [
    ...[...catalog.services.values()].flatMap((service) => service.slos),
    ...[...catalog.journeys.values()].flatMap((journey) => journey.slos),
  ].sort((a, b) => a.id.localeCompare(b.id));
  return renderTable(
    ['SLO', 'OBJECTIVE', 'WINDOW', 'BUDGETING', 'BUDGET', 'PAGE AT BURN RATE'],
    slos.map((slo) => {
      const { definition } = slo;
      const resolved = resolveWindow(definition.window, atMs);
      const period = resolved.periodToMinute - resolved.periodFromMinute;
      const budgetMinutes = (1 - slo.objectiveRatio) * period;
      const pages = definition.alerting.enabled
        ? definition.alerting.tiers
            .filter((tier) => tier.severity === 'page')
            .map(
              (tier) =>
                `${Number(alertFactor(tier, period).toFixed(2))}x/${tier.longMinutes >= 60 ? `${tier.longMinutes / 60}h` : `${tier.longMinutes}m`}`,
            )
            .join(' ')
        : 'off';
      const budget =
        definition.budgeting.method === 'occurrences'
          ? `${Number(((1 - slo.objectiveRatio) * 100).toPrecision(6))}% of events`
          : `${formatBudgetMinutes(budgetMinutes)} of slices`;
      return [
        slo.id,
        `${Number((slo.objectiveRatio * 100).toPrecision(10))}%`,
        slo.windowText,
        definition.budgeting.method,
        budget,
        pages || '-',
      ];
    }),
  );
}

function formatBudgetMinutes(minutes: number): string {
  if (minutes >= 120) return `${(minutes / 60).toFixed(1)}h`;
  return `${Number(minutes.toFixed(2))}min`;
}
