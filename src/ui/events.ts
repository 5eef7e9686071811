// The events the elements fire, typed for listeners (addEventListener('histoscan-result', e => e.detail.q)),
// and the one helper that fires them: bubbling and composed, so a host page hears them through shadow roots;
// and how the elements are defined.
import type { ImageError, ImageResult } from '../types.ts';
import type { InitInfo } from '../worker/worker.ts';

/** Counts of the batch that just ended (all images since the last Clear). */
export interface BatchSummary {
  /** Images added since the last Clear, less those cancelled (`cancelled` counts them). */
  total: number;
  /** Of `total`, those that ended: checked (`unusual`, `typical`, `uncalibrated`) or failed (`errors`). */
  done: number;
  unusual: number;
  typical: number;
  /** Checked, but the profile cannot flag at this FPR (no or too little calibration). */
  uncalibrated: number;
  errors: number;
  cancelled: number;
  /** Unusual images whose lossy coding may be why (ImageResult.codingNote): a JPEG checked against a background of PNGs. */
  lossyUnusual: number;
}

/** The counts at a new FPR, of the rows since the last Clear. */
export interface Relabel {
  fpr: number;
  summary: BatchSummary;
}

/** A profile put in use from the element's own panel. */
export interface ProfileChange {
  source: 'built' | 'file';
  /** The .hsp file's name, or the name a built profile downloads as. Its images: info.profileCount, info.calibrated. */
  name: string;
  info: InitInfo;
}

export interface HistoscanEventMap {
  'histoscan-ready': CustomEvent<InitInfo>;
  'histoscan-result': CustomEvent<ImageResult>;
  /** A per-image error, or `file: null` when the model or profile could not be loaded. */
  'histoscan-error': CustomEvent<ImageError | { file: null; error: string }>;
  'histoscan-batch-done': CustomEvent<BatchSummary>;
  /** A new `fpr` relabelled the finished rows from their q (each result's verdict at it: `verdictOf(q, fpr, calibrationCount)` of histoscan/core). */
  'histoscan-relabel': CustomEvent<Relabel>;
  /** Another profile is in use for the same model: built in the page from known-good images, or loaded from a .hsp file. */
  'histoscan-profile': CustomEvent<ProfileChange>;
  /** From <hs-pvalue-map>: a node was chosen (index within the layer). */
  'node-select': CustomEvent<{ index: number; layer?: string }>;
  /** From <hs-result-detail>: "Back to the list" (or Esc) asks for the image's row. */
  'back-to-row': CustomEvent<null>;
}

declare global {
  // The events bubble and are composed: a listener on the document or the window hears them typed too.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface HTMLElementEventMap extends HistoscanEventMap {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface DocumentEventMap extends HistoscanEventMap {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface WindowEventMap extends HistoscanEventMap {}
}

export function emit<K extends keyof HistoscanEventMap>(target: EventTarget, type: K, detail: HistoscanEventMap[K]['detail']): boolean {
  return target.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
}

/** The element's reflected `state` attribute. */
/** `idle`: no model is set (images wait for one); `loading`: one is starting. */
export type DetectorState = 'idle' | 'loading' | 'ready' | 'error' | 'busy';

/** Whether this copy has said that another one defined its elements. */
let warned = false;
/**
 * Defines a custom element once. A second copy of histoscan on the page (the drop-in bundle beside the package,
 * or two versions) finds its tags taken: the first copy's elements stay, and the page is told, since its
 * `instanceof` checks against this copy's class will fail.
 */
export function defineOnce(tag: string, element: CustomElementConstructor): void {
  const defined = customElements.get(tag);
  if (!defined) customElements.define(tag, element);
  else if (defined !== element && !warned) {
    warned = true; // once for this copy, not for each of its tags
    console.warn(`histoscan: its elements (<${tag}>, …) are already defined by another copy of histoscan loaded on this page; that copy's are the ones in use.`);
  }
}
