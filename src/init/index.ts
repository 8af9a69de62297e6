/** `sextant init`, the paved road for a new service: archetypes and the manifest scaffold. */

export { ARCHETYPES, type Archetype, SCAFFOLD_WINDOW, TIER_OBJECTIVES } from './archetypes.ts';
export {
  checkDependsOn,
  checkScaffoldField,
  isName,
  type ScaffoldedFile,
  type ScaffoldField,
  type ScaffoldInput,
  scaffoldService,
  suggestName,
  validateScaffoldInput,
} from './scaffold.ts';
