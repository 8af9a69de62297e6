/** The unit's side of a convergence check against the hub. */

import type { SyncRecord } from '../sync/index.ts';
import type { UnitState } from './state.ts';

/**
 * Every record the hub should hold for this unit once it has acknowledged everything, as
 * `resolveRecords` would leave it: compare `canonicalChecksum(exportedRecords(state))`
 * with the hub's checksum for the unit. Empty for a unit without a hub.
 * @example assert.equal(canonicalChecksum(exportedRecords(unit.state)), hubChecksum)
 */
export function exportedRecords(state: UnitState): SyncRecord[] {
  return state.outbox?.exportedRecords(state.reader()) ?? [];
}
