// data/calibration: Fashion-MNIST test images 1,000-2,999 (disjoint from data/clean = test 0-999).
// The verdict's guarantee (a clean image is flagged at most FPR of the time) holds for images
// exchangeable with the calibration set, so it comes from the split the detector is checked on,
// not from held-out training images. Needs Debian's dataset-fashion-mnist; writes the same 8-bit
// gray PNGs as tools/model/build.py.
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { PNG } from 'pngjs';

const DIR = '/usr/share/datasets/fashion-mnist';
const FROM = 1000;
const COUNT = 2000;
const images = gunzipSync(readFileSync(`${DIR}/t10k-images-idx3-ubyte.gz`));
const labels = gunzipSync(readFileSync(`${DIR}/t10k-labels-idx1-ubyte.gz`));
const out = 'data/calibration';
mkdirSync(out, { recursive: true });
for (const f of readdirSync(out)) rmSync(`${out}/${f}`);
const list = [];
for (let k = 0; k < COUNT; k++) {
  const i = FROM + k;
  const png = new PNG({ width: 28, height: 28, colorType: 0, inputColorType: 0, inputHasAlpha: false, bitDepth: 8 });
  png.data = Buffer.from(images.subarray(16 + i * 784, 16 + (i + 1) * 784));
  writeFileSync(`${out}/${String(k).padStart(5, '0')}.png`, PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false }));
  list.push(labels[8 + i]);
}
writeFileSync(`${out}/labels.json`, JSON.stringify({ labels: list, source: `Fashion-MNIST test split (Debian dataset-fashion-mnist), test indices ${FROM}-${FROM + COUNT - 1}` }));
console.log(`wrote ${COUNT} images to ${out}`);
