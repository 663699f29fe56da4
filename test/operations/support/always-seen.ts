import type { RecentSightings } from '../../../src/operations/recent-sightings.ts';

/**
 * A doorkeeper (recent-sightings.ts) that has seen everything: a memo behind it keeps what it is
 * given from the first time. For tests of what a memo keeps and for how long; admission itself
 * is tested with the real table.
 */
export const alwaysSeen: RecentSightings = { sight: () => true, sightText: () => true };
