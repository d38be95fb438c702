/**
 * The trace view's model: pure TypeScript (no DOM), shared by the linked views.
 *
 * - `selection`: the one selection state (primitive, task with ancestry, source line).
 * - `timeWindow`: the visible time window all time axes pan and zoom together.
 * - `bins`: pixel <-> ns mapping, bins per pixel, spill-over requests and resampling.
 * - `compare`: two profiles compared per primitive.
 * - `format`: durations, places, GUIDs, counts.
 * - `lanes`: the Gantt's nesting lanes.
 * - `sourceBlocks`: the lines the source view shows, per file.
 * - `liveTrace`: following a running job's growing trace until it is final.
 */

export * from './bins';
export * from './compare';
export * from './format';
export * from './lanes';
export * from './liveTrace';
export * from './selection';
export * from './sourceBlocks';
export * from './timeWindow';
