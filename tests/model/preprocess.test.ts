import { describe, expect, it } from 'vitest';
import { fromTensor, preprocessSteps, toTensor } from '../../src/model/preprocess.ts';
import { parseSpec } from '../../src/model/spec.ts';
import { layerNodeCount, reduceLayer } from '../../src/model/reduce.ts';
import { ModelError } from '../../src/core/errors.ts';
import { preprocessingChanges } from '../../src/core/spec-diff.ts';
import type { ModelSpec, RgbaImage } from '../../src/types.ts';
import { rng } from '../../src/core/rng.ts';

const spec = (o: Partial<ModelSpec>): ModelSpec => ({ inputName: 'x', height: 2, width: 2, channels: 3, layout: 'nchw', scale: 255, mean: [0], std: [1], resize: 'stretch', ...o });
const image = (w: number, h: number, px: (x: number, y: number) => [number, number, number, number]): RgbaImage => {
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set(px(x, y), (y * w + x) * 4);
  return { width: w, height: h, data };
};

describe('preprocessing', () => {
  it('maps pixels to (pixel/scale - mean)/std in NCHW and NHWC, RGB and BGR', () => {
    const img = image(2, 2, (x, y) => [10 * (x + 2 * y), 100, 200, 255]);
    const nchw = toTensor(img, spec({ mean: [0.5, 0.5, 0.5], std: [0.25, 0.5, 1] }));
    expect(nchw[0]).toBeCloseTo((0 / 255 - 0.5) / 0.25);
    expect(nchw[3]).toBeCloseTo((30 / 255 - 0.5) / 0.25);
    expect(nchw[4]).toBeCloseTo((100 / 255 - 0.5) / 0.5);
    expect(nchw[8]).toBeCloseTo(200 / 255 - 0.5);
    const nhwc = toTensor(img, spec({ layout: 'nhwc' }));
    expect(Array.from(nhwc.subarray(0, 3)).map((v) => Math.round(v * 255))).toEqual([0, 100, 200]);
    const bgr = toTensor(img, spec({ layout: 'nhwc', bgr: true }));
    expect(Array.from(bgr.subarray(0, 3)).map((v) => Math.round(v * 255))).toEqual([200, 100, 0]);
  });

  it('converts RGB to gray, composites alpha over black', () => {
    const g = toTensor(image(2, 2, () => [100, 150, 50, 255]), spec({ channels: 1 }));
    expect(g[0] * 255).toBeCloseTo(Math.round(0.299 * 100 + 0.587 * 150 + 0.114 * 50));
    const a = toTensor(image(2, 2, () => [200, 200, 200, 0]), spec({ channels: 1 }));
    expect(Array.from(a)).toEqual([0, 0, 0, 0]);
    const half = toTensor(image(2, 2, () => [200, 200, 200, 128]), spec({ channels: 1 }));
    expect(half[0] * 255).toBeCloseTo(Math.round(200 * (128 / 255)));
  });

  it('lays transparent pixels over white where the spec says matte "white"; black, given or not, is the same preprocessing', () => {
    const clear = toTensor(image(2, 2, () => [10, 20, 30, 0]), spec({ matte: 'white' }));
    expect(Array.from(clear)).toEqual(new Array(12).fill(1));
    const a = 128 / 255;
    const half = toTensor(image(2, 2, () => [200, 100, 0, 128]), spec({ layout: 'nhwc', matte: 'white' }));
    expect(Array.from(half.subarray(0, 3))).toEqual([200, 100, 0].map((v) => Math.fround((v * a + (1 - a) * 255) / 255)));
    expect(toTensor(image(2, 2, () => [9, 9, 9, 77]), spec({ matte: 'black' }))).toEqual(toTensor(image(2, 2, () => [9, 9, 9, 77]), spec({})));
    expect(preprocessingChanges(spec({}), spec({ matte: 'black' }))).toEqual([]);
    expect(preprocessingChanges(spec({}), spec({ matte: 'white' }))).toEqual(['transparent pixels over black in the profile, white now']);
    expect(() => parseSpec({ ...spec({ channels: 1 }), bgr: true })).toThrow(/bgr \(channel order\) applies to 3 channels, and this spec feeds 1 \(gray\)/);
    expect(() => parseSpec({ ...spec({}), matte: 'grey' })).toThrow(/matte \(what transparent pixels are laid over\) must be "black" or "white", not "grey"/);
  });

  it('resizing a constant image keeps it constant; centre crop takes the centre', () => {
    const c = toTensor(image(37, 23, () => [77, 77, 77, 255]), spec({ channels: 1, height: 8, width: 8 }));
    for (const v of c) expect(v * 255).toBeCloseTo(77, 4);
    const up = toTensor(image(3, 3, () => [9, 9, 9, 255]), spec({ channels: 1, height: 7, width: 5 }));
    for (const v of up) expect(v * 255).toBeCloseTo(9, 4);
    // 6x2 image: left/right thirds black, centre white; a centre crop to 1:1 keeps only white.
    const img = image(6, 2, (x) => (x >= 2 && x < 4 ? [255, 255, 255, 255] : [0, 0, 0, 255]));
    const crop = toTensor(img, spec({ channels: 1, height: 2, width: 2, resize: 'center-crop' }));
    expect(Array.from(crop)).toEqual([1, 1, 1, 1]);
    const stretch = toTensor(img, spec({ channels: 1, height: 2, width: 2 }));
    expect(Array.from(stretch).some((v) => v < 1)).toBe(true);
  });

  it('a centre crop that keeps a share feeds what stretching that middle region alone feeds', () => {
    const r = rng(5);
    const img = image(48, 30, () => [Math.floor(r() * 256), Math.floor(r() * 256), Math.floor(r() * 256), 255]);
    // The centred square is 30x30 at x = 9; its middle 0.6 is 18x18 at (15, 6).
    const middle = image(18, 18, (x, y) => [...img.data.subarray(((y + 6) * 48 + x + 15) * 4, ((y + 6) * 48 + x + 15) * 4 + 4)] as [number, number, number, number]);
    expect(toTensor(img, spec({ height: 7, width: 7, resize: 'center-crop', crop: 0.6 }))).toEqual(toTensor(middle, spec({ height: 7, width: 7 })));
    expect(preprocessSteps(img, spec({ height: 7, width: 7, resize: 'center-crop', crop: 0.6 }))).toEqual(["centre-cropped to the middle 60% in the input's shape and resized from 48×30"]);
    // Said, and checked: a share in (0, 1], of a centre crop only; a profile built without it does not fit.
    expect(() => parseSpec({ ...spec({ resize: 'center-crop' }), crop: 0 })).toThrow(/crop \(the share of the centred region kept\) must be a number in \(0, 1\]/);
    expect(() => parseSpec({ ...spec({ resize: 'pad' }), crop: 0.875 })).toThrow('Invalid model spec: crop applies to resize "center-crop", and this spec resizes by "pad".');
    expect(preprocessingChanges(spec({ resize: 'center-crop' }), spec({ resize: 'center-crop', crop: 0.875 }))).toEqual(['resize center-crop in the profile, center-crop of the middle 0.875 now']);
  });

  it('validates spec files', () => {
    expect(() => parseSpec({ inputName: 'x', height: 0, width: 2, channels: 3, layout: 'nchw', scale: 255 })).toThrow(/height/);
    expect(() => parseSpec({ inputName: 'x', height: 2, width: 2, channels: 2, layout: 'nchw', scale: 255 })).toThrow(/channels/);
    expect(parseSpec({ inputName: 'x', height: 2, width: 2, channels: 1, layout: 'nhwc', scale: 1 }).mean).toEqual([0]);
    expect(() => parseSpec({ inputName: 'x', height: 2, width: 2, channels: 1, layout: 'nhwc', scale: 1, mean: [0, 0, 0] })).toThrow(/mean must have 1 value for a gray input \(channels 1, as the spec or the model says\), not 3/);
    expect(() => parseSpec({ inputName: 'x', height: 2, width: 2, channels: 3, layout: 'chw', scale: 1 })).toThrow(/layout/);
    expect(() => parseSpec({ inputName: 'x', height: 2, width: 2, channels: 3, layout: 'nchw', scale: 1, std: [1, 0, 1] })).toThrow(/std must not be 0/);
    expect(() => parseSpec('nope')).toThrow(ModelError);
    try {
      parseSpec(null);
    } catch (e) {
      expect((e as ModelError).code).toBe('bad-spec');
    }
    const full = { inputName: 'x', outputName: 'y', height: 4, width: 6, channels: 3, layout: 'nhwc', scale: 1, mean: [1, 2, 3], std: [4, 5, 6], bgr: true, resize: 'center-crop', classNames: ['a'] };
    expect(parseSpec(full)).toEqual(full);
  });

  it('refuses pixel buffers that do not match the declared size', () => {
    expect(() => toTensor({ width: 4, height: 4, data: new Uint8Array(10) }, spec({}))).toThrow('image has 10 bytes of data where 4x4 RGBA pixels need 64.');
  });

  it('centre crop of a tall image takes the vertical centre', () => {
    const img = image(2, 6, (_x, y) => (y >= 2 && y < 4 ? [255, 0, 0, 255] : [0, 0, 255, 255]));
    const crop = toTensor(img, spec({ height: 1, width: 1, resize: 'center-crop' }));
    expect(Array.from(crop)).toEqual([1, 0, 0]);
  });
});

describe('pad: the height filled, the width by the aspect ratio, the rest of each row the tensor zero', () => {
  const normal = { channels: 1 as const, mean: [0.5], std: [0.5] }; // pixel 0 -> -1, 255 -> 1
  it('a line narrower than the input keeps its ratio at the left, zeros after it, in both layouts', () => {
    // 2x2 white into 4x8: scaled to 4x4, columns 4..7 of every row are padding.
    const img = image(2, 2, () => [255, 255, 255, 255]);
    const t = toTensor(img, spec({ ...normal, height: 4, width: 8, resize: 'pad' }));
    for (let y = 0; y < 4; y++) expect(Array.from(t.subarray(y * 8, y * 8 + 8))).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);
    const rgb = toTensor(img, spec({ height: 4, width: 8, layout: 'nhwc', resize: 'pad' }));
    expect(Array.from(rgb.subarray(0, 12))).toEqual(new Array(12).fill(1));
    expect(Array.from(rgb.subarray(12, 24))).toEqual(new Array(12).fill(0));
    // A tall image: one column of image, the rest padding.
    const tall = toTensor(image(1, 4, () => [255, 255, 255, 255]), spec({ ...normal, height: 4, width: 4, resize: 'pad' }));
    for (let y = 0; y < 4; y++) expect(Array.from(tall.subarray(y * 4, y * 4 + 4))).toEqual([1, 0, 0, 0]);
  });

  it('a line wider than the input is squeezed to its width, as OCR pipelines do, not shrunk into a strip', () => {
    // 16x2 (8:1), left half black, right half white, into 4x8 (2:1): every row black, black, …, white.
    const img = image(16, 2, (x) => (x < 8 ? [0, 0, 0, 255] : [255, 255, 255, 255]));
    const t = toTensor(img, spec({ ...normal, height: 4, width: 8, resize: 'pad' }));
    for (let y = 0; y < 4; y++) expect(Array.from(t.subarray(y * 8, y * 8 + 8))).toEqual([-1, -1, -1, -1, 1, 1, 1, 1]);
    expect(Array.from(t)).toEqual(Array.from(toTensor(img, spec({ ...normal, height: 4, width: 8 }))));
  });

  it('is a field a spec may give', () => {
    expect(parseSpec({ inputName: 'x', height: 48, width: 192, channels: 3, layout: 'nchw', scale: 255, resize: 'pad' }).resize).toBe('pad');
    expect(() => parseSpec({ inputName: 'x', height: 48, width: 192, channels: 3, layout: 'nchw', scale: 255, resize: 'letterbox' })).toThrow(/resize must be "stretch", "center-crop", "pad", not "letterbox"/);
  });
});

/**
 * The formulation before rows were resized as they are read: every channel as a full-size plane,
 * then the separable resize (across, then down), then scaling. An independent reference for toTensor.
 */
function planesFirst(img: RgbaImage, sp: ModelSpec): Float32Array {
  const { width: w, height: h, data } = img;
  let [x0, y0, cw, ch] = [0, 0, w, h];
  if (sp.resize === 'center-crop') {
    const target = sp.width / sp.height;
    if (w / h > target) [cw, x0] = [Math.max(1, Math.round(h * target)), 0];
    else [ch, y0] = [Math.max(1, Math.round(w / target)), 0];
    [cw, ch] = [Math.max(1, Math.round(cw * (sp.crop ?? 1))), Math.max(1, Math.round(ch * (sp.crop ?? 1)))];
    x0 = Math.floor((w - cw) / 2);
    y0 = Math.floor((h - ch) / 2);
  }
  const C = sp.channels;
  const planes = Array.from({ length: C }, () => new Float32Array(cw * ch));
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      const i = ((y + y0) * w + (x + x0)) * 4;
      const a = data[i + 3] / 255;
      const [r, g, b] = [data[i] * a, data[i + 1] * a, data[i + 2] * a];
      if (C === 1) planes[0][y * cw + x] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
      else [planes[0][y * cw + x], planes[1][y * cw + x], planes[2][y * cw + x]] = [sp.bgr ? b : r, g, sp.bgr ? r : b];
    }
  }
  // One axis resized: box average shrinking, pixel-centre linear enlarging (as toTensor documents).
  const axis = (src: Float32Array, sw: number, sh: number, d: number, across: boolean): Float32Array => {
    const len = across ? sw : sh;
    const out = new Float32Array(across ? d * sh : sw * d);
    const at = (o: number, k: number) => src[across ? o * sw + k : k * sw + o];
    const scale = len / d;
    for (let o = 0; o < (across ? sh : sw); o++) {
      for (let k = 0; k < d; k++) {
        let v: number;
        if (scale > 1) {
          const [start, end] = [k * scale, k * scale + scale];
          let acc = 0;
          for (let t = Math.floor(start); t < Math.ceil(end) && t < len; t++) acc += (Math.min(end, t + 1) - Math.max(start, t)) * at(o, t);
          v = acc / scale;
        } else {
          const x = Math.min(len - 1, Math.max(0, (k + 0.5) * scale - 0.5));
          const [k0, k1] = [Math.floor(x), Math.min(len - 1, Math.floor(x) + 1)];
          v = at(o, k0) + (at(o, k1) - at(o, k0)) * (x - k0);
        }
        out[across ? o * d + k : k * sw + o] = v;
      }
    }
    return out;
  };
  const [H, W] = [sp.height, sp.width];
  const rw = sp.resize === 'pad' ? Math.min(W, Math.max(1, Math.ceil((H * cw) / ch))) : W;
  const out = new Float32Array(C * H * W);
  for (let c = 0; c < C; c++) {
    const a = rw === cw ? planes[c] : axis(planes[c], cw, ch, rw, true);
    const p = H === ch ? a : axis(a, rw, ch, H, false);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < rw; x++) {
        const v = (p[y * rw + x] / sp.scale - (sp.mean[c] ?? sp.mean[0])) / (sp.std[c] ?? sp.std[0]);
        if (sp.layout === 'nchw') out[c * H * W + y * W + x] = v;
        else out[(y * W + x) * C + c] = v;
      }
    }
  }
  return out;
}

describe('toTensor equals the planes-first formulation, bit for bit', () => {
  it('on random images, sizes and specs (gray/RGB/BGR, NCHW/NHWC, stretch/center-crop/pad, shrinking and enlarging)', () => {
    const r = rng(17);
    const resizes = ['stretch', 'center-crop', 'pad'] as const;
    for (let trial = 0; trial < 60; trial++) {
      const [w, h] = [1 + Math.floor(r() * 90), 1 + Math.floor(r() * 60)];
      const img = image(w, h, () => [Math.floor(r() * 256), Math.floor(r() * 256), Math.floor(r() * 256), r() < 0.2 ? Math.floor(r() * 256) : 255]);
      const sp = spec({
        height: 1 + Math.floor(r() * 40),
        width: 1 + Math.floor(r() * 40),
        channels: r() < 0.3 ? 1 : 3,
        layout: r() < 0.5 ? 'nchw' : 'nhwc',
        bgr: r() < 0.3,
        resize: resizes[trial % 3],
        ...(trial % 6 === 1 ? { crop: 0.3 + 0.7 * r() } : {}),
        mean: [0.485, 0.456, 0.406],
        std: [0.229, 0.224, 0.225],
      });
      expect(Array.from(toTensor(img, sp))).toEqual(Array.from(planesFirst(img, sp)));
    }
  });
});

describe('reduction', () => {
  it('channel mean/max equal a naive reference; element is the identity', () => {
    const r = rng(4);
    const dims = [5, 3, 4];
    const data = Float32Array.from({ length: 60 }, () => r() * 2 - 1);
    const mean = reduceLayer(data, dims, 'channel-mean');
    const max = reduceLayer(data, dims, 'channel-max');
    for (let c = 0; c < 5; c++) {
      const vals = Array.from(data.subarray(c * 12, c * 12 + 12));
      expect(mean[c]).toBeCloseTo(vals.reduce((a, b) => a + b, 0) / 12, 6);
      expect(max[c]).toBe(Math.fround(Math.max(...vals)));
    }
    expect(reduceLayer(data, dims, 'element')).toEqual(data);
    expect(reduceLayer(data.subarray(0, 7), [7], 'channel-mean')).toEqual(data.subarray(0, 7));
    expect(reduceLayer(data.subarray(0, 7), [7], 'channel-max')).toEqual(data.subarray(0, 7));
    expect(layerNodeCount(dims, 'element')).toBe(60);
    expect(layerNodeCount(dims, 'channel-mean')).toBe(5);
    expect(layerNodeCount([7], 'channel-max')).toBe(7);
    expect(() => reduceLayer(data, [5, 3, 5], 'channel-mean')).toThrow(RangeError);
  });

  it('a channel-last axis reduces like the naive reference too', () => {
    const r = rng(5);
    const dims = [3, 4, 6]; // H, W, C
    const data = Float32Array.from({ length: 72 }, () => r() * 10 - 5);
    const mean = reduceLayer(data, dims, 'channel-mean', 2);
    const max = reduceLayer(data, dims, 'channel-max', 2);
    expect(layerNodeCount(dims, 'channel-max', 2)).toBe(6);
    for (let c = 0; c < 6; c++) {
      const vals = Array.from({ length: 12 }, (_, k) => data[k * 6 + c]);
      expect(mean[c]).toBeCloseTo(vals.reduce((a, b) => a + b, 0) / 12, 5);
      expect(max[c]).toBe(Math.max(...vals));
    }
  });
});

describe('fromTensor: the tensor back to RGBA, as the page shows what the model received', () => {
  it('undoes toTensor at the input size, in NCHW and NHWC, RGB and BGR; a gray input shows gray', () => {
    const img = image(2, 2, (x, y) => [10 + 60 * x, 200 - 90 * y, 30 * x + 40 * y, 255]);
    for (const o of [{}, { layout: 'nhwc' as const }, { bgr: true }, { scale: 127.5, mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3] }]) {
      const s = spec(o);
      expect(fromTensor(toTensor(img, s), s)).toEqual({ width: 2, height: 2, data: new Uint8ClampedArray(img.data) });
    }
    const gray = spec({ channels: 1 });
    const shown = fromTensor(toTensor(img, gray), gray).data;
    for (let i = 0; i < 4; i++) {
      const [r, g, b] = img.data.subarray(i * 4, i * 4 + 3);
      expect([...shown.subarray(i * 4, i * 4 + 4)]).toEqual([0, 0, 0, 255].map((v, k) => (k < 3 ? Math.round(0.299 * r + 0.587 * g + 0.114 * b) : v)));
    }
  });
});

describe('preprocessSteps: what "what the model received" says was done', () => {
  const img = (w: number, h: number, px: (i: number) => [number, number, number, number]): RgbaImage => ({ width: w, height: h, data: Uint8Array.from({ length: w * h * 4 }, (_, k) => px(k >> 2)[k & 3]) });
  const gray = (w: number, h: number) => img(w, h, () => [90, 90, 90, 255]);
  const rgb = (w: number, h: number) => img(w, h, (i) => [i % 255, 20, 200, 255]);
  const spec = (o: Partial<ModelSpec>): ModelSpec => ({ inputName: 'x', height: 28, width: 28, channels: 1, layout: 'nchw', scale: 255, mean: [0], std: [1], resize: 'stretch', ...o });
  it('says nothing of an image fed as it is, and each step where one was taken', () => {
    expect(preprocessSteps(gray(28, 28), spec({}))).toEqual([]);
    expect(preprocessSteps(rgb(1, 1), spec({ channels: 3, height: 224, width: 224 }))).toEqual(['enlarged from 1×1']);
    expect(preprocessSteps(rgb(100, 50), spec({}))).toEqual(["resized from 100×50, stretched to the input's shape", 'colours made gray']);
    expect(preprocessSteps(rgb(336, 224), spec({ channels: 3, height: 224, width: 224, resize: 'center-crop', bgr: true }))).toEqual(["centre-cropped to the input's shape and resized from 336×224", 'channels in BGR order']);
    expect(preprocessSteps(gray(96, 48), spec({ height: 48, width: 192, resize: 'pad' }))).toEqual(['96×48, the rest of each row padded']);
    expect(preprocessSteps(gray(50, 24), spec({ height: 48, width: 192, resize: 'pad' }))).toEqual(['enlarged from 50×24 to 48 rows high, the rest of each row padded']);
    expect(preprocessSteps(gray(800, 48), spec({ height: 48, width: 192, resize: 'pad' }))).toEqual(["800×48, squeezed to the input's width"]);
    const half = img(28, 28, (i) => [0, 0, 0, i < 392 ? 0 : 255]);
    expect(preprocessSteps(half, spec({ matte: 'white' }))).toEqual(['transparent pixels laid over white']);
  });
});
