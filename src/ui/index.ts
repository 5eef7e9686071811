// Library entry: importing it registers <histoscan-detector> and its views.
export { HistoscanDetector } from './histoscan-detector.ts';
export type { DetectorState } from './events.ts';
export { ResultDetail } from './result-detail.ts';
export { PValueMap } from './pvalue-map.ts';
export { NodeHistogram } from './node-histogram.ts';
export { DetectorClient, WorkerDiedError } from './client.ts';
export { QueueController } from './queue.ts';
export type { Row, RowState, RowSummary } from './rows.ts';
export type { FileIntake } from './intake.ts';
export type { BatchSummary, HistoscanEventMap, ProfileChange, Relabel } from './events.ts';
/** The detail of histoscan-ready (and ProfileChange.info): provider, sizes, layers, calibration. */
export type { Download, InitInfo, InitOptions, ModelInput } from '../worker/worker.ts';
export type * from '../types.ts';
