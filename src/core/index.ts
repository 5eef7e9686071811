export * from './errors.ts';
export * from './profile.ts';
export * from './hsp.ts';
export * from './pvalues.ts';
export * from './scan.ts';
export * from './metrics.ts';
export * from './calibration.ts';
export * from './layout.ts';
export { rng } from './rng.ts';
