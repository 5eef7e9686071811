// Clean images coded otherwise than the profile's background: the share flagged at FPR 5%, and the model's
// accuracy, of the same clean test images as they are, as JPEG copies (jpeg-js) at three qualities, 5% brighter
// and shifted by one pixel (docs/cli.md's table under "Like includes how the images were coded"), and what the profile
// detects: AUC of FGSM .05 and PGD .05 against the clean images as they are, on their test halves. With --mixed, the same against a
// profile built and calibrated on a mix: a quarter each as they are and as JPEG q95, q75, q50.
//
//   npx tsx tools/coding-shift.ts [--mixed]   (the bundled model and profile, data/clean; about 1 minute, 10 more with --mixed)
import { readFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { auc, decodeProfile, type Profile } from '../src/core/index.ts';
import { devTestSplit } from '../src/node-sets.ts';
import { Detector, decodeImage, fileSource, listImages, type ImageSource } from '../src/node.ts';
import type { RgbaImage } from '../src/types.ts';

type Transform = (img: RgbaImage) => Promise<RgbaImage>;
const asJpeg = (quality: number): Transform => async (img) =>
  decodeImage(jpeg.encode({ width: img.width, height: img.height, data: Buffer.from(img.data) }, quality).data, 'copy.jpg');
const brighter: Transform = async (img) => ({ ...img, data: img.data.map((v, i) => (i % 4 === 3 ? v : Math.min(255, Math.round(v * 1.05)))) });
/** One pixel to the right, the first column repeated. */
const shifted: Transform = async (img) => {
  const data = new Uint8Array(img.data.length);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) data.set(img.data.subarray(4 * (y * img.width + Math.max(0, x - 1)), 4 * (y * img.width + Math.max(0, x - 1)) + 4), 4 * (y * img.width + x));
  }
  return { ...img, data };
};
const TRANSFORMS: [string, Transform][] = [
  ['as they are', async (img) => img],
  ['JPEG q95', asJpeg(95)],
  ['JPEG q75', asJpeg(75)],
  ['JPEG q50', asJpeg(50)],
  ['5% brighter', brighter],
  ['shifted 1 px', shifted],
];

const model = readFileSync('public/models/fashion-cnn.onnx');
const files = listImages(['data/clean']);
const labels: number[] = JSON.parse(readFileSync('data/clean/labels.json', 'utf8')).labels;
const pct = (k: number, n: number) => `${((100 * k) / n).toFixed(1)}%`;

async function table(profile: Profile, title: string): Promise<void> {
  const d = await Detector.create({ model, profile });
  const scores = async (list: string[], transform: Transform = async (img) => img) => {
    const out = [];
    for (const f of list) out.push(await d.check(await transform(await decodeImage(readFileSync(f), f)), f, { fpr: 0.05 }));
    return out;
  };
  console.log(`\n${title} (${files.length} clean test images, FPR 5%)\n\n| the clean images | flagged | accuracy |\n|---|---:|---:|`);
  let clean: number[] = [];
  for (const [name, transform] of TRANSFORMS) {
    const rs = await scores(files, transform);
    if (!clean.length) clean = rs.map((r) => r.score);
    console.log(`| ${name} | ${pct(rs.filter((r) => r.flagged).length, files.length)} | ${pct(rs.filter((r, i) => r.top[0].index === labels[i]).length, files.length)} |`);
  }
  for (const set of ['fgsm-0.05', 'pgd-0.05']) {
    const all = listImages([`data/${set}`]);
    const test = devTestSplit(all.length).test.map((i) => all[i]);
    const cleanTest = devTestSplit(clean.length).test.map((i) => clean[i]);
    console.log(`AUC ${set} against the clean images as they are (test halves, as eval splits them): ${auc(cleanTest, (await scores(test)).map((r) => r.score)).toFixed(3)}`);
  }
  d.release();
}

/** Image i of `src` as it is or as a JPEG copy at q95, q75 or q50, by i mod 4. */
const MIX: Transform[] = [async (img) => img, asJpeg(95), asJpeg(75), asJpeg(50)];
const mixed = (src: ImageSource): ImageSource => ({ ...src, load: async (i) => MIX[i % 4](await src.load(i)) });

await table(decodeProfile(new Uint8Array(readFileSync('public/profiles/fashion-cnn.hsp'))), 'the bundled profile (built from PNGs)');
if (process.argv.includes('--mixed')) {
  const d = await Detector.create({ model });
  const built = await d.build(mixed(fileSource(listImages(['data/background']))), mixed(fileSource(listImages(['data/calibration']))));
  d.release();
  await table(built.profile, 'a profile of the same background and calibration images, a quarter each as they are and as JPEG q95, q75, q50');
}
