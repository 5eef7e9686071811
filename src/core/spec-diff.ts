// How two model specs differ in what they do to an image before the model sees it. A profile's
// histograms hold only for images preprocessed as its own were: the detector refuses a profile used
// otherwise, and a merge refuses shards built otherwise.
import type { ModelSpec } from '../types.ts';

/** The preprocessing fields in which two specs differ, as "mean 0 in the profile, 0.5 now" (class names and the output aside). */
export function preprocessingChanges(was: ModelSpec | undefined, now: ModelSpec | undefined, names: [string, string] = ['in the profile', 'now']): string[] {
  if (!was || !now) return [];
  // A one-value mean or std stands for every channel.
  const perChannel = (v: number[], s: ModelSpec) => (v.length === 1 ? Array<number>(s.channels).fill(v[0]) : v).join(', ');
  const show = (s: ModelSpec): Record<string, string> => ({
    size: `${s.height}×${s.width} (H×W)`,
    channels: String(s.channels),
    layout: s.layout,
    scale: String(s.scale),
    mean: perChannel(s.mean, s),
    std: perChannel(s.std, s),
    'channel order': s.bgr ? 'BGR' : 'RGB',
    resize: s.resize === 'center-crop' && s.crop ? `center-crop of the middle ${s.crop}` : s.resize,
    'transparent pixels over': s.matte ?? 'black',
  });
  const [a, b] = [show(was), show(now)];
  return Object.keys(a).filter((k) => a[k] !== b[k]).map((k) => `${k} ${a[k]} ${names[0]}, ${b[k]} ${names[1]}`);
}
