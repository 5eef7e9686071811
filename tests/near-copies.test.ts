import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BackgroundIndex } from '../src/core/twins.ts';
import { groupedWarning } from '../src/detector/build-notes.ts';
import { rng } from '../src/core/rng.ts';
import { decodeImage, Detector, fileSource, listImages, type ImageSource } from '../src/node.ts';

/** The picture with its brightest pixel one level down: another file of it, not the same input (a level up on every pixel lifts the black ground, which this model sees). */
function tweak<T extends { data: Uint8Array | Uint8ClampedArray }>(img: T): T {
  const data = Uint8Array.from(img.data);
  const top = data.reduce((b, v, j) => (j % 4 < 3 && v > data[b] ? j - (j % 4) : b), 0);
  for (let c = 0; c < 3; c++) data[top + c] -= 1;
  return { ...img, data };
}

/** The picture at another exposure: every colour value times `gain`. */
function exposed<T extends { data: Uint8Array | Uint8ClampedArray }>(img: T, gain: number): T {
  return { ...img, data: Uint8ClampedArray.from(img.data, (v, j) => (j % 4 < 3 ? v * gain : v)) };
}

describe('calibration images that are near-copies of background images', () => {
  it('BackgroundIndex finds a row a little moved, not a new one, and the exact twin by its key', () => {
    const r = rng(3);
    const nodes = 500;
    const bg = Float32Array.from({ length: 50 * nodes }, () => r());
    const index = new BackgroundIndex(nodes);
    index.add(bg, nodes);
    const row = (i: number) => bg.slice(i * nodes, (i + 1) * nodes);
    const moved = row(7).map((v) => v + 0.005 * (r() - 0.5));
    expect(index.near(moved)).toBe(7);
    expect(index.near(Float32Array.from({ length: nodes }, () => r()))).toBe(-1);
  });

  it('calibration images in groups apart from the background are nearer one another (and said); drawn alike, about half are', () => {
    const r = rng(11);
    const nodes = 64;
    const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    const draw = (rows: number, at: (i: number) => number[] = () => Array(nodes).fill(0), spread = 1) =>
      Float32Array.from({ length: rows * nodes }, (_, j) => at(Math.floor(j / nodes))[j % nodes] + spread * normal());
    const index = (values: Float32Array) => {
      const ix = new BackgroundIndex(nodes);
      ix.add(values, nodes);
      return ix;
    };
    const background = index(draw(400));
    const alike = [1, 2, 3].map(() => background.nearerWithin(index(draw(200)))!);
    for (const { share, compared } of alike) expect([Math.abs(share - 0.5) < 0.12, compared]).toEqual([true, 199]);
    expect(alike.flatMap((n) => groupedWarning(n, 200))).toEqual([]);
    // 20 scenes of 10 views each: a scene's views are nearer one another than new scenes are.
    const scenes = Array.from({ length: 20 }, () => Array.from({ length: nodes }, normal));
    const grouped = background.nearerWithin(index(draw(200, (i) => scenes[Math.floor(i / 10)], 0.4)))!;
    expect(grouped.share).toBeGreaterThan(0.9);
    expect(groupedWarning(grouped, 200)[0]).toMatch(/^\d+ of the 200 calibration images are nearer another calibration image than any of 199 background images spread through the background/);
    // A few images cannot show it: the bar rises with 1.9/√m (0.93 at 20).
    expect(groupedWarning({ share: 0.9, compared: 19 }, 20)).toEqual([]);
    expect(groupedWarning({ share: 0.95, compared: 19 }, 20)).toHaveLength(1);
    // Past 1,000 calibration images the share is of 1,000 spread through them.
    const many = background.nearerWithin(index(draw(1500)))!;
    expect(many.compared).toBe(400);
    // Folder order does not matter: rows sorted by their first node, with a background smaller than the sample.
    const sorted = draw(300);
    const order = Array.from({ length: 300 }, (_, i) => i).sort((a, b) => sorted[a * nodes] - sorted[b * nodes]);
    const small = index(draw(40));
    const inOrder = small.nearerWithin(index(Float32Array.from(order.flatMap((i) => [...sorted.subarray(i * nodes, (i + 1) * nodes)]))))!;
    expect(groupedWarning(inOrder, 300)).toEqual([]);
    expect(background.nearerWithin(index(draw(2)))).toBeNull();
  });

  it('a build whose calibration images are another coding of its background images, or that holds a picture twice, says so; one of other images does not', async () => {
    const d = await Detector.create({ model: readFileSync('public/models/fashion-cnn.onnx') });
    const files = listImages(['data/background'], () => {}).slice(0, 59);
    const background = fileSource(files.slice(0, 40));
    // Each of 19 background images, tweaked: another file of the same picture.
    const copies: ImageSource = {
      count: 19,
      name: (i) => `copy-of-${files[i * 2]}`,
      load: async (i) => tweak(await decodeImage(readFileSync(files[i * 2]), files[i * 2])),
    };
    const near = await d.build(background, copies);
    const calFiles = listImages(['data/calibration'], () => {}).slice(0, 19);
    const other = await d.build(background, fileSource(calFiles));
    // 10 pictures twice among the calibration images: the first 10 of `other`, then each again a level off.
    const twice: ImageSource = {
      count: 20,
      name: (i) => (i < 10 ? calFiles[i] : `again-${calFiles[i - 10]}`),
      load: async (i) => (i < 10 ? decodeImage(readFileSync(calFiles[i]), calFiles[i]) : tweak(await decodeImage(readFileSync(calFiles[i - 10]), calFiles[i - 10]))),
    };
    const repeated = await d.build(background, twice);
    // 8 pictures, each at four exposures: shots of a few scenes.
    const exposures = [0.5, 0.7, 1.4, 2];
    const views: ImageSource = {
      count: 32,
      name: (i) => `shot-${i % 4}-${calFiles[Math.floor(i / 4)]}`,
      load: async (i) => exposed(await decodeImage(readFileSync(calFiles[Math.floor(i / 4)]), 'x.png'), exposures[i % 4]),
    };
    const grouped = await d.build(background, views);
    d.release();
    expect(grouped.warnings.join('\n')).toMatch(/of the 32 calibration images are nearer another calibration image than any of 31 background images .* Calibrate on images of many scenes/);
    expect([other, near, repeated].map((b) => b.warnings.join('\n'))).not.toContainEqual(expect.stringMatching(/nearer another calibration image/));
    expect(repeated.warnings.join('\n')).toMatch(/10 of the 20 calibration images \(e\.g\. again-.*\) repeat the picture of another calibration image .* Keep one version of each picture among the calibration images/);
    expect(other.warnings.join('\n')).not.toMatch(/repeat the picture/);
    expect(near.warnings.join('\n')).toMatch(/19 of the 19 calibration images \(e\.g\. copy-of-.*\) are near-copies of background images .* Calibrate on pictures the background does not hold/);
    expect(other.warnings.join('\n')).not.toMatch(/near-copies/);
  }, 120_000);
});

describe('eval and near-copies', () => {
  it('warns where a tenth or more of the clean images are near-copies of background images, not where they are new', async () => {
    const { twinWarnings } = await import('../src/cli/eval-twins.ts');
    const r = rng(9);
    const nodes = 50;
    const rows = (n: number, f: (i: number) => number[]) => Array.from({ length: n }, (_, i) => f(i));
    const bgRows = rows(40, () => Array.from({ length: nodes }, () => r()));
    const set = (name: string, rs: number[][]) => ({ name, rows: rs.length, nodes, values: Float32Array.from(rs.flat()), logits: rs.map(() => new Float32Array(2)), files: rs.map((_, i) => `${name}/${i}.png`), skipped: [] });
    const bg = set('background', bgRows);
    const fresh = rows(5, () => Array.from({ length: nodes }, () => r()));
    const copies = rows(5, (i) => bgRows[i].map((v) => v + 0.002 * (r() - 0.5)));
    expect(twinWarnings(set('clean', [...copies, ...fresh]), [], bg, null)).toEqual([
      '5 of the 10 clean images are near-copies of background images (another coding, palette or bit depth of the same picture, e.g. clean/0.png): they rank as more typical than new pictures, so the realised FPR and the AUCs read better than they are. Keep every version of a picture in one folder.',
    ]);
    expect(twinWarnings(set('clean', [...fresh, ...fresh]), [], bg, null)).toEqual([]);
    // Calibration images that are other codings of background pictures: the verdict's FPR is what suffers.
    expect(twinWarnings(set('clean', fresh), [], bg, set('calibration', copies))).toEqual([
      '5 of the 5 calibration images are near-copies of background images (another coding, palette or bit depth of the same picture, e.g. calibration/0.png): they rank as more typical than new pictures, so the verdict flags new known-good images at well above its FPR. Keep every version of a picture in one folder.',
    ]);
  });
});
