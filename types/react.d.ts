// <histoscan-detector> in React's JSX (React 19 sets custom elements' properties and listens for their
// events through `on<event name>` props). Opt in with `import type {} from 'histoscan/react';` in a file of
// your app, or "types": ["histoscan/react"] in its tsconfig. Needs @types/react 19 or later.
import type { DetailedHTMLProps, HTMLAttributes } from 'react';
import type { HistoscanDetector, HistoscanEventMap } from '../dist-esm/ui/index.js';

/** The element's settings, as properties (React 19 passes numbers as numbers). */
type Settings = Partial<Pick<HistoscanDetector, 'model' | 'profile' | 'spec' | 'fpr' | 'scoring' | 'provider' | 'threads' | 'budget' | 'samples' | 'theme'>>;

/** `onhistoscan-result={(e) => e.detail.q}`, typed for each event. */
type Handlers = { [K in keyof HistoscanEventMap as K extends `histoscan-${string}` ? `on${K}` : never]?: (event: HistoscanEventMap[K]) => void };

export type HistoscanDetectorProps = DetailedHTMLProps<HTMLAttributes<HistoscanDetector>, HistoscanDetector> & Settings & Handlers;

declare module 'react' {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace JSX {
    interface IntrinsicElements {
      'histoscan-detector': HistoscanDetectorProps;
    }
  }
}
