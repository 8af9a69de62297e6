/**
 * `sextant demo`: the newcomer's first run. Validates the bundled example fleet, shows
 * what Sextant derives from it, then runs a hub and three units on it (two production
 * cells and a dedicated tenant), each fed by its own traffic simulator with its own
 * incidents, in compressed time (one simulated minute per second by default), printing
 * alerts as they fire and resolve and the hub's fleet budget table as it converges.
 */

import { fileURLToPath } from 'node:url';
import { type Catalog, formatIssue } from '../catalog/index.ts';
import { loadCatalogFromPaths } from '../catalog-files/index.ts';
import { alertFactor, resolveWindow } from '../slo/index.ts';
import { runFleetDemo } from './demo-fleet.ts';
import { type Command, EXIT, parseFlags, UsageError } from './io.ts';
import { renderTable } from './table.ts';

const FLEET = fileURLToPath(new URL('../../examples/fleet/', import.meta.url));

export const demoCommand: Command = {
  name: 'demo',
  summary: 'Run a hub and three units on the example fleet with simulated traffic and incidents.',
  usage: `sextant demo [--minutes 45] [--speed 60] [--follow] [--catalog DIR]

  --minutes   simulated minutes to run (default 45)
  --speed     simulated seconds per real second (default 60: a minute per second)
  --follow    keep the hub, the units and the simulators running (Ctrl-C stops)
  --catalog   another catalog instead of examples/fleet/`,
  async run(args, io) {
    const { values } = parseFlags(
      args,
      {
        catalog: { type: 'string' },
        minutes: { type: 'string' },
        speed: { type: 'string' },
        follow: { type: 'boolean' },
      },
      false,
    );
    const minutes = positiveNumber(values.minutes, 45, '--minutes');
    const speed = positiveNumber(values.speed, 60, '--speed');
    const path = values.catalog ?? FLEET;
    io.stdout(`Sextant demo: the example fleet in ${values.catalog ?? 'examples/fleet/'}\n\n`);
    const { build, files } = await loadCatalogFromPaths([path]);
    for (const issue of build.issues) io.stdout(`${formatIssue(issue)}\n`);
    if (!build.valid) {
      io.stderr('the catalog does not validate; see the errors above\n');
      return EXIT.invalid;
    }
    const { catalog } = build;
    io.stdout(
      `valid: ${files.length} files, ${catalog.services.size} services, ${catalog.teams.size} teams, ${catalog.journeys.size} journeys, ${catalog.tenants.size} tenants\n\n`,
    );
    io.stdout(`${sloTable(catalog, Date.now())}\n`);
    return runFleetDemo(catalog, path, { minutes, speed, follow: values.follow === true }, io);
  },
};

function positiveNumber(text: string | undefined, fallback: number, flag: string): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!(Number.isFinite(value) && value > 0))
    throw new UsageError(`${flag} must be a positive number, got "${text}"`);
  return value;
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
      const pages = definition.alerting.enabled
        ? definition.alerting.tiers
            .filter((tier) => tier.severity === 'page')
            .map(
              (tier) =>
                `${Number(alertFactor(tier, period).toFixed(2))}x/${tier.longMinutes >= 60 ? `${tier.longMinutes / 60}h` : `${tier.longMinutes}m`}`,
            )
            .join(' ')
        : 'off';
      const budgetMinutes = (1 - slo.objectiveRatio) * period;
      const budget =
        definition.budgeting.method === 'occurrences'
          ? `${Number(((1 - slo.objectiveRatio) * 100).toPrecision(6))}% of events`
          : `${budgetMinutes >= 120 ? `${(budgetMinutes / 60).toFixed(1)}h` : `${Number(budgetMinutes.toFixed(2))}min`} of slices`;
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
