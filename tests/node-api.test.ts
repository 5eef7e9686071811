// The Node API (`histoscan/node`) at its edges: what callers' own code passes in, right or wrong.
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CancelledError, defaultPlan, Detector, decodeImage, decodeProfile, encodeProfile, fileSource, holdOut, holdOutDecoded, listImages, readable, UsageError } from '../src/node.ts';
import { chunk, concat, ihdr, SIGNATURE } from './fixtures/png-bytes.ts';
import { cli, MODEL, subset } from './fixtures/cli.ts';

const model = readFileSync('public/models/fashion-cnn.onnx');
const hsp = readFileSync('public/profiles/fashion-cnn.hsp');
const first = readdirSync('data/clean').filter((f) => f.endsWith('.png')).sort()[0];
const image = () => decodeImage(readFileSync(`data/clean/${first}`), first);

describe('the Node API', () => {
  it('takes a profile as the .hsp bytes, scoring as with the decoded profile', async () => {
    const img = await image();
    const [a, b] = await Promise.all([Detector.create({ model, profile: hsp }), Detector.create({ model, profile: decodeProfile(hsp) })]);
    const [ra, rb] = [await a.check(img, 'x'), await b.check(img, 'x')];
    expect(ra.score).toBe(rb.score);
    expect(ra.q).toBe(rb.q);
    b.useProfile(hsp.buffer.slice(hsp.byteOffset, hsp.byteOffset + hsp.byteLength));
    expect((await b.check(img, 'x')).score).toBe(ra.score);
    a.release();
    b.release();
  });

  it('listImages says what it left out where the caller wants the sentences (stderr by default)', () => {
    const notes: string[] = [];
    const files = listImages(['public/samples'], (s) => notes.push(s));
    expect(files.length).toBeGreaterThan(0);
    expect(notes).toEqual([expect.stringMatching(/^left out 1 file not named as images .*manifest\.json/)]);
  });

  it("listImages marks what it could not read and leaves the process's exit code to the caller", () => {
    const d = mkdtempSync(join(tmpdir(), 'hs-list-'));
    copyFileSync('public/samples/clean-00000.png', join(d, 'a.png'));
    spawnSync('mkfifo', [join(d, 'fifo.png')]); // a pipe: never read, so images may be missing
    const notes: [string, boolean][] = [];
    const before = process.exitCode;
    try {
      expect(listImages([d], (s, incomplete) => notes.push([s, incomplete]))).toEqual([join(d, 'a.png')]);
      expect(notes).toEqual([[expect.stringMatching(/^left out 1 special file .*fifo\.png/), true]]);
      expect(process.exitCode).toBe(before); // the CLI's own listing fails its run (cli-habits)
    } finally {
      process.exitCode = before;
      rmSync(d, { recursive: true });
    }
  });

  it('says what to pass where a path, nothing or the wrong object is given', async () => {
    await expect(Detector.create({ model: 'm.onnx' as never })).rejects.toThrow(/The model must be the \.onnx file's bytes .*not a string \("m\.onnx"\); pass the file's contents/);
    await expect(Detector.create({ model: undefined as never })).rejects.toThrow(/not undefined/);
    await expect(Detector.create({ model, profile: { nodes: 3 } as never })).rejects.toThrow(/The profile must be a decoded profile \(decodeProfile\) or the \.hsp file's bytes/);
    await expect(decodeImage(null as never)).rejects.toThrow(/The image must be the image file's bytes .*not null/);
    expect(() => decodeProfile('m.hsp' as never)).toThrow(/The profile must be the \.hsp file's bytes/);
  });

  it('refuses pixels that are not an RGBA image, naming the image and what is wrong', async () => {
    const d = await Detector.create({ model, profile: hsp });
    await expect(d.check({ width: 0, height: 0, data: new Uint8Array(0) }, 'empty.png')).rejects.toThrow('empty.png has no pixels (0x0).');
    await expect(d.check({ width: 4, height: 4, data: new Uint8Array(48) }, 'rgb.png')).rejects.toThrow(/rgb\.png has 48 bytes of data where 4x4 RGBA pixels need 64 \(RGB without alpha\?/);
    await expect(d.check({ width: 4, height: 4 } as never, 'nodata')).rejects.toThrow(/nodata is not decoded pixels/);
    await expect(d.check({ width: 4, height: 4, data: new Uint8Array(80) }, 'long.png')).rejects.toThrow('long.png has 80 bytes of data where 4x4 RGBA pixels are 64.');
    // The detector still checks the next image.
    expect((await d.check(await image(), 'x')).verdict).toBeTruthy();
    d.release();
  });

  it("refuses settings it cannot use in the element's words, and a released detector says so", async () => {
    await expect(Detector.create({ model, provider: 'gpu' as never })).rejects.toThrow('provider must be one of auto, webgpu, wasm, cpu, not "gpu".');
    // WebGPU is the browser's: under Node it is refused, not run on the CPU unsaid.
    await expect(Detector.create({ model, provider: 'webgpu' })).rejects.toThrow(/^WebGPU is not available under Node; use provider 'auto'/);
    // Plain JS may pass check()'s options to create(), where they would be dropped unsaid.
    await expect(Detector.create({ model, fpr: 0.5, scoring: 'ks' } as never)).rejects.toThrow(/^Detector\.create takes no "fpr", "scoring" \(fpr and scoring are check\(\)'s: detector\.check\(image, name, \{ fpr \}\)\); it takes model, profile, /);
    await expect(Detector.create({ model, fpr: 0.5 } as never)).rejects.toBeInstanceOf(UsageError);
    // A spec file's path, a misspelt field, layers or counts of the wrong kind: refused, not dropped for the model's own.
    await expect(Detector.create({ model, spec: 'spec.json' as never })).rejects.toThrow(/^The spec must be a spec's fields as an object .*not the string "spec\.json": specSources\(\{ spec: "spec\.json" \}, 'model\.onnx'\) reads a spec file\.$/);
    await expect(Detector.create({ model, beside: 'm.json' as never })).rejects.toThrow(/^The beside must be/);
    await expect(Detector.create({ model, spec: { hieght: 32 } as never })).rejects.toThrow(/^Invalid model spec: no field "hieght"/);
    await expect(Detector.create({ model, spec: 42 as never })).rejects.toThrow('Invalid model spec: not a JSON object.');
    await expect(Detector.create({ model, layers: 'all' as never })).rejects.toThrow('layers must be "auto" or a list of tensor names (see "histoscan inspect"), not "all".');
    await expect(Detector.create({ model, numThreads: -1 })).rejects.toThrow('numThreads must be a count of threads (an integer of at least 1), not -1.');
    await expect(Detector.create({ model, maxRunValues: 0 })).rejects.toThrow('maxRunValues must be a count of activation values (an integer of at least 1), not 0.');
    const d = await Detector.create({ model, profile: hsp });
    const img = await image();
    await expect(d.check(img, 'x', { fpr: 5 })).rejects.toThrow('fpr must be a rate between 0 and 1, such as 0.05, not 5.');
    await expect(d.check(img, 'x', { fpr: '0.05' as never })).rejects.toThrow('fpr must be a rate between 0 and 1, such as 0.05, not the string "0.05".');
    await expect(d.check(img, 'x', { scoring: 'nope' as never })).rejects.toThrow('scoring must be one of bj, hc, ks, not "nope".');
    await expect(d.check(img, 'x', { topNodes: -1 })).rejects.toThrow('topNodes must be a count of nodes (an integer of at least 0), not -1.');
    // A misspelt option is refused as create() and build() refuse one, not scored with the default unsaid.
    await expect(d.check(img, 'x', { FPR: 0.2 } as never)).rejects.toThrow('Detector.check takes no "FPR"; it takes fpr, scoring, topNodes.');
    d.release();
    await expect(d.check(img, 'x')).rejects.toThrow(/This detector was released/);
    expect(() => d.useProfile(hsp)).toThrow(/This detector was released/);
    // Without a profile: a usage error (call order), not a profile that does not fit.
    const bare = await Detector.create({ model });
    await expect(bare.check(img, 'x')).rejects.toThrow(expect.objectContaining({ code: 'usage', message: expect.stringMatching(/^No profile loaded: load a \.hsp profile/) }));
    bare.release();
  });

  it('an option given as undefined, or no options as null, keeps its default (a setting read from an unset variable)', async () => {
    const d = await Detector.create({ model, profile: hsp });
    const digit = await decodeImage(readFileSync('data/ood-mnist/00001.png'), '00001.png');
    const pick = (r: Awaited<ReturnType<Detector['check']>>) => [r.verdict, r.fpr, r.q, r.score, r.flagged, r.topNodes.length];
    const plain = pick(await d.check(digit, 'x'));
    expect(plain.slice(0, 2)).toEqual(['unusual', 0.05]);
    const unset = process.env.HISTOSCAN_UNSET_FPR;
    expect(pick(await d.check(digit, 'x', { fpr: unset ? Number(unset) : undefined, scoring: undefined, topNodes: undefined }))).toEqual(plain);
    expect(pick(await d.check(digit, 'x', null as never))).toEqual(plain);
    d.release();
  });

  it("docs/embedding.md's split calibrates on the images planned where a file's pixels do not decode, as `histoscan profile` does", async () => {
    const d = mkdtempSync(join(tmpdir(), 'hs-split-'));
    try {
      listImages(['data/background']).slice(0, 94).forEach((f, i) => copyFileSync(f, join(d, `${String(i).padStart(5, '0')}.png`)));
      // Fifth in name order, a calibration place: its head is right and its pixels do not inflate.
      writeFileSync(join(d, '00003b.png'), concat([SIGNATURE, ihdr(28, 28, 8, 0), chunk('IDAT', new Uint8Array(64).fill(255)), chunk('IEND', new Uint8Array(0))]));
      const src = fileSource(listImages([d]));
      const { background, calibration, refused } = await holdOutDecoded(src, 0.2, 19);
      expect([background.count, calibration?.count, refused.map((r) => r.file)]).toEqual([75, 19, [join(d, '00003b.png')]]);
      // readable and holdOut alone see a right head, and calibrate on the file too: 18 images that decode.
      expect(holdOut((await readable(src)).images, 0.2, 19).calibration?.count).toBe(19);
    } finally {
      rmSync(d, { recursive: true });
    }
  });

  it('release() lets the checks already made finish, on either runtime, then frees the session (a service drains)', async () => {
    const img = await image();
    for (const provider of ['auto', 'wasm'] as const) {
      const d = await Detector.create({ model, profile: hsp, provider });
      const alone = (await d.check(img, 'x')).score;
      let released = false;
      const all = Array.from({ length: 40 }, () => d.check(img, 'x').then((r) => (released || (d.release(), (released = true)), r.score)));
      expect(await Promise.all(all)).toEqual(Array(40).fill(alone));
      await expect(d.check(img, 'x')).rejects.toThrow(/This detector was released/);
    }
  });

  it('builds with the defaults for what the options leave out, as the CLI does', async () => {
    const d = await Detector.create({ model });
    await expect(d.build({ count: 0, name: () => '', load: async () => image() }, null)).rejects.toThrow('No background images were given; a profile needs known-good images that decode.');
    const built = await d.build(fileSource(listImages(['data/background']).slice(0, 30)), null);
    expect([built.profile.header.count, built.profile.header.bins, built.profile.header.strategy]).toEqual([30, 16, 'tail']);
    d.useProfile(built.profile);
    const r = await d.check(await image(), first);
    expect(r.verdict).toBe('uncalibrated');
    // Each layer says how it became nodes, as the profile planned it (the map draws it so).
    expect(r.layers.map((l) => l.reduction)).toEqual(built.profile.header.layers.map((l) => l.reduction));
    // A source whose images come out wrong for some (pixels of another size) skips those, named, and builds from the rest.
    const files = listImages(['data/background']).slice(0, 20);
    const good = fileSource(files);
    const odd = await d.build({ ...good, load: async (i) => (i % 5 ? good.load(i) : { width: 28, height: 28, data: new Uint8Array(10) }) }, null);
    expect(odd.profile.header.count).toBe(16);
    expect(odd.skipped.map((k) => k.error)).toEqual([0, 5, 10, 15].map((i) => expect.stringContaining(`${files[i]} has 10 bytes of data where 28x28 RGBA pixels need 3136`)));
    expect(odd.skipped.map((k) => k.code)).toEqual(['usage', 'usage', 'usage', 'usage']); // as check() would give them
    // A signal set during a build stops it with the class histoscan/node exports.
    const signal = { aborted: false };
    const stopped = d.build(fileSource(listImages(['data/background']).slice(0, 200)), null, { batchSize: 8, signal, onProgress: (p) => void (p.done > 0 && (signal.aborted = true)) });
    await expect(stopped).rejects.toBeInstanceOf(CancelledError);
    // calibrate() with the defaults for what is left out, as build(): every image used; none given is refused.
    const cal = await d.calibrate(built.profile, fileSource(listImages(['data/calibration']).slice(0, 25)));
    expect(cal.profile.header.calibration?.count).toBe(25);
    await expect(d.calibrate(built.profile, { count: 0, name: () => '', load: async () => image() })).rejects.toThrow('No calibration images were given; a calibration needs known-good images that decode.');
    d.release();
  });

  it('refuses build and calibrate settings it cannot use before any image is read, and plans again for a budget given', async () => {
    const d = await Detector.create({ model });
    const bg = fileSource(listImages(['data/background']).slice(0, 20));
    // A batch size of 0 never ended; a tail the profile header cannot hold failed only when the saved profile was read back.
    await expect(d.build(bg, null, { batchSize: 0 })).rejects.toThrow('Detector.build: batchSize must be an integer of at least 1, not 0.');
    await expect(d.build(bg, null, { batchSize: 0.5 })).rejects.toBeInstanceOf(UsageError);
    await expect(d.build(bg, null, { tail: 'sideways' as never })).rejects.toThrow('Detector.build: tail must be one of upper, lower, two, both, not the string "sideways".');
    await expect(d.build(bg, null, { strategy: 'bogus' as never, combine: 'xx' as never, pointP: 'xx' as never })).rejects.toThrow(/strategy must be one of uniform, tail.*; pointP must be one of mid, max.*; combine must be one of tpm, fisher, min/);
    await expect(d.build(bg, null, { bins: '16' as never })).rejects.toThrow('bins must be an integer from 1 to 65535, not the string "16"');
    await expect(d.build(bg, null, { fpr: 2 })).rejects.toThrow('fpr must be a rate between 0 and 1, such as 0.05, not 2');
    await expect(d.build(bg, null, { budgetMB: 0.1 } as never)).rejects.toThrow(/there is no option "budgetMB" \(the options: bins, strategy, .*budget/);
    await expect(d.calibrate((await d.build(bg, null)).profile, bg, { batchSize: -1 })).rejects.toThrow('Detector.calibrate: batchSize must be an integer of at least 1, not -1.');
    // budget (bytes, as --budget in MB) plans the layers again, as `histoscan profile --budget 0.1` does.
    const dir = mkdtempSync(join(tmpdir(), 'histoscan-api-'));
    try {
      const out = join(dir, 'cli.hsp');
      const r = cli(['profile', '--model', MODEL, '--images', subset(dir, 'background', 20), '--no-calibration', '--budget', '0.1', '--out', out]);
      expect(r.status, r.stderr).toBe(0);
      const small = (await d.build(bg, null, { budget: 1e5 })).profile;
      expect(small.header.layers).toEqual(decodeProfile(readFileSync(out)).header.layers);
      expect(encodeProfile(small).length).toBeLessThan(1e5);
    } finally {
      rmSync(dir, { recursive: true });
      d.release();
    }
  });

  it('after a build with a plan, says that the plan changed its layers where the profile it held no longer fits', async () => {
    const d = await Detector.create({ model, profile: hsp });
    const built = await d.build(fileSource(listImages(['data/background']).slice(0, 20)), null, { plan: defaultPlan({ budget: 3e5, count: 20 }) });
    await expect(d.check(await image(), first)).rejects.toThrow(/No profile loaded: its build planned the layers again \(for the images given, or by build\(…, \{ plan \}\)\), and the profile this detector held does not fit them/);
    d.useProfile(built.profile);
    const planned = await d.check(await image(), first);
    expect(planned.verdict).toBe('uncalibrated');
    // A plan's layers are reduced each their own way, and a result says which way (the map draws them so).
    expect(planned.layers.map((l) => l.reduction)).toEqual(built.profile.header.layers.map((l) => l.reduction));
    expect(new Set(planned.layers.map((l) => l.reduction)).size).toBeGreaterThan(1);
    // The profile it held reads the same layers its own way: taken back, it scores as a detector made for it.
    d.useProfile(hsp);
    const fresh = await Detector.create({ model, profile: hsp });
    expect((await d.check(await image(), first)).score).toBe((await fresh.check(await image(), first)).score);
    fresh.release();
    d.release();
    // A profile of layers the planned session does not read keeps the hint.
    const one = await Detector.create({ model, layers: ['/relu3/Relu_output_0'] });
    await one.build(fileSource(listImages(['data/background']).slice(0, 20)), null, { plan: defaultPlan({ budget: 3e5, count: 20 }) });
    expect(() => one.useProfile(hsp)).toThrow(/monitors other layers .*This detector's layers are those its build planned \(for the images given, or by build\(…, \{ plan \}\)\)/);
    one.release();
  });

  it('plans for the images given, as `histoscan profile` does: the same profile, the same scores', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'histoscan-api-'));
    try {
      const bg = subset(dir, 'background', 120);
      const out = join(dir, 'cli.hsp');
      const r = cli(['profile', '--model', MODEL, '--images', bg, '--budget', '3', '--out', out]);
      expect(r.status, r.stderr).toBe(0);
      const fromCli = decodeProfile(readFileSync(out));
      const d = await Detector.create({ model, reduction: { plan: defaultPlan({ budget: 3e6 }) } });
      // As README's example: what is no image is left out before the split (here nothing is).
      const { images, refused } = await readable(fileSource(listImages([bg])));
      expect(refused).toEqual([]);
      const { background, calibration } = holdOut(images, 0.2, 19);
      const built = (await d.build(background, calibration)).profile;
      // Planned for 96 images (1-byte counts), not the 10,000 a detector plans for before it sees any:
      // within 3 MB, room for class histograms on the last 2 layers, not 1 (no class of 96 fills them here).
      expect(r.stderr).toMatch(/plan: histograms per predicted class \(10 classes\) for the last 2 layers/);
      expect(d.features.plan?.classLayers).toBe(2);
      expect(built.header.layers).toEqual(fromCli.header.layers);
      expect(built.header.classes).toEqual(fromCli.header.classes);
      // The same histograms (the files differ only in the header's source, name and time).
      expect(Buffer.from(built.tails.buffer, built.tails.byteOffset, built.tails.byteLength).equals(Buffer.from(fromCli.tails.buffer, fromCli.tails.byteOffset, fromCli.tails.byteLength))).toBe(true);
      d.useProfile(built);
      const other = await Detector.create({ model, profile: fromCli });
      const img = await image();
      expect((await d.check(img, first)).score).toBe((await other.check(img, first)).score);
      other.release();
      d.release();
      // A build without calibration images keeps the room the plan set aside for a table (eval calibrates after):
      // planned for these 20 images and 500 calibration images, it is not planned again.
      const e = await Detector.create({ model, reduction: { plan: defaultPlan({ budget: 3e6, count: 20, calibration: 500 }) } });
      const before = e.features;
      await e.build(fileSource(listImages([bg]).slice(0, 20)), null);
      expect(e.features).toBe(before);
      e.release();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
