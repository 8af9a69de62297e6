/** Every `sextant` subcommand, in the order `sextant help` lists them. */

import { backfillCommand } from './cmd-backfill.ts';
import { catalogCommand } from './cmd-catalog.ts';
import { demoCommand } from './cmd-demo.ts';
import { hubCommand, hubTokenCommand, hubUnitCommand } from './cmd-hub.ts';
import { exportOpenSloCommand, importBackstageCommand, importOpenSloCommand } from './cmd-import.ts';
import { initCommand } from './cmd-init.ts';
import { renderCommand } from './cmd-render.ts';
import { schemaCommand } from './cmd-schema.ts';
import { sloStatusCommand } from './cmd-slo.ts';
import { unitCommand } from './cmd-unit.ts';
import { validateCommand } from './cmd-validate.ts';
import type { Command } from './io.ts';

export const COMMANDS: readonly Command[] = [
  demoCommand,
  unitCommand,
  hubCommand,
  hubUnitCommand,
  hubTokenCommand,
  backfillCommand,
  validateCommand,
  catalogCommand,
  initCommand,
  importBackstageCommand,
  importOpenSloCommand,
  exportOpenSloCommand,
  sloStatusCommand,
  renderCommand,
  schemaCommand,
];
