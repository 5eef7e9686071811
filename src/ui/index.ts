// Library entry: importing it registers <histoscan-detector> and its views.
export { HistoscanDetector } from './histoscan-detector.ts';
export { PValueMap } from './pvalue-map.ts';
export { NodeHistogram } from './node-histogram.ts';
export { DetectorClient, WorkerDiedError } from './client.ts';
export type * from '../types.ts';
