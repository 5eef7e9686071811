// CLI habits scripts rely on: --version, exit statuses, one JSON shape, NDJSON, and a verdict with
// three states (never "typical"/"ok" from a profile that cannot flag). Real CLI, real model, real images.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeProfile } from '../src/core/index.ts';
import { cli, MODEL, PROFILE, subset } from './fixtures/cli.ts';
import { writeAtomic } from '../src/cli/io.ts';
import { deflateSync } from 'node:zlib';
import { chunk, concat, ihdr, SIGNATURE } from './fixtures/png-bytes.ts';

let dir = '';
const CLEAN = 'public/samples/clean-00000.png';
const PGD = ['public/samples/pgd-0.1-00010.png', 'public/samples/pgd-0.1-00011.png'];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'histoscan-habits-'));
});

describe('CLI habits', () => {
  it('--version prints the package version', () => {
    const r = cli(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });

  it('help marks required options and shows examples and exit statuses; no WebGPU choice under Node', () => {
    const h = cli(['score', '--help']);
    expect(h.status).toBe(0);
    expect(h.stdout).toMatch(/--model <file>\s+ONNX model \(required\)/);
    expect(h.stdout).toMatch(/--profile <file>.*\(required\)/);
    expect(h.stdout).toMatch(/Examples:\n\s+\$ histoscan score /);
    expect(h.stdout).toMatch(/Exit status:[\s\S]*3\s+with --fail-on-flagged/);
    expect(h.stdout).not.toMatch(/webgpu/i);
    // calibrate keeps the profile's layers: it offers no flag that would not act.
    const c = cli(['calibrate', '--help']);
    expect(c.stdout).toMatch(/Examples:\n\s+\$ histoscan calibrate /);
    expect(c.stdout).not.toMatch(/--layers|--reduce|--budget|--force/);
    const w = cli(['score', '--model', MODEL, '--profile', PROFILE, '--provider', 'webgpu', CLEAN]);
    expect(w.status).toBe(1);
    expect(w.stderr).toMatch(/WebGPU is not available under Node/);
  });

  it('exit statuses: 0 ok, 3 flagged with --fail-on-flagged, 2 some images failed, 1 usage or input error', () => {
    const ok = cli(['score', '--model', MODEL, '--profile', PROFILE, '--fail-on-flagged', '--json', CLEAN]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).results[0].verdict).toBe('typical');
    expect(ok.stderr).not.toMatch(/animation/);
    // An animation is checked on its first frame, and the run says so (a still GIF is not one).
    const moving = cli(['score', '--model', MODEL, '--profile', PROFILE, 'e2e/fixtures/formats/clean-animated.webp', 'e2e/fixtures/formats/clean.gif']);
    expect(moving.status, moving.stderr).toBe(0);
    expect(moving.stderr).toMatch(/note: an animation is checked on its first frame: clean-animated\.webp \(2 frames\)\.\n/);

    const gate = cli(['score', '--model', MODEL, '--profile', PROFILE, '--fail-on-flagged', CLEAN, ...PGD]);
    expect(gate.status, gate.stderr).toBe(3);
    const unusual = gate.stdout.split('\n').filter((l) => l.includes('\tunusual\t'));
    expect(unusual).toHaveLength(2);
    // An unusual line names the look (a part, the quiet look or the parts' joint look) with the smallest q of its own.
    for (const l of unusual) expect(l).toMatch(/\tstrongest part: ((upper|lower)(:class)?|energy|gauss|quiet|joint) \(q [0-9.e-]+\)$/);
    expect(gate.stdout).toMatch(/clean-00000\.png\ttypical\t/);
    // Without the gate, flagged images are a result, not a failure.
    expect(cli(['score', '--model', MODEL, '--profile', PROFILE, ...PGD]).status).toBe(0);

    const bad = join(dir, 'text.png');
    writeFileSync(bad, 'this is text, not a picture');
    const failed = cli(['score', '--model', MODEL, '--profile', PROFILE, '--fail-on-flagged', bad, ...PGD]);
    expect(failed.status).toBe(2);
    expect(failed.stdout).toMatch(/text\.png\tERROR\t/);

    for (const args of [
      ['score', '--model', MODEL, '--profile', PROFILE, join(dir, 'missing')],
      ['score', '--model', MODEL, CLEAN],
      ['score', '--model', MODEL, '--profile', PROFILE, '--no-such-flag', CLEAN],
      ['score', '--model', MODEL, '--profile', PROFILE, '--json', '--jsonl', CLEAN],
      ['merge', join(dir, 'missing.hsp'), '--out', join(dir, 'm.hsp')],
    ]) {
      const r = cli(args);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('a batch with far more unusual images than the FPR allows gets a note on stderr; the exit status is unchanged', () => {
    const attacked = ['fgsm-0.1-00014', 'fgsm-0.1-00015', 'fgsm-0.1-00016', 'pgd-0.1-00010', 'pgd-0.1-00011', 'pgd-0.1-00012'].map((f) => `public/samples/${f}.png`);
    const r = cli(['score', '--model', MODEL, '--profile', PROFILE, ...attacked]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/note: \d of 6 images \(\d+(\.\d)?%\) are unusual, far more than the 5%/);
    const clean = cli(['score', '--model', MODEL, '--profile', PROFILE, ...[0, 1, 2, 3, 4, 5].map((i) => `public/samples/clean-0000${i}.png`)]);
    expect(clean.status).toBe(0);
    expect(clean.stderr).not.toMatch(/note:/);
  });

  it('--json is always { results }, also with --group; --jsonl is one line per image (+ a group line)', () => {
    const bad = join(dir, 'cut.png');
    writeFileSync(bad, readFileSync(CLEAN).subarray(0, 60));
    const j = cli(['score', '--model', MODEL, '--profile', PROFILE, '--json', CLEAN, bad]);
    expect(j.status).toBe(2);
    const doc = JSON.parse(j.stdout);
    expect(Object.keys(doc)).toEqual(['results']);
    expect(doc.results.map((r: { file: string }) => r.file)).toEqual([CLEAN, bad]);
    expect(doc.results[1]).toMatchObject({ file: bad, code: expect.any(String), error: expect.stringMatching(/truncated|corrupt/) });

    const l = cli(['score', '--model', MODEL, '--profile', PROFILE, '--jsonl', '--group', CLEAN, bad, ...PGD]);
    expect(l.status).toBe(2);
    const lines = l.stdout.trimEnd().split('\n').map((x) => JSON.parse(x));
    expect(lines).toHaveLength(5);
    expect(lines.slice(0, 4).map((r) => r.file)).toEqual([CLEAN, bad, ...PGD]);
    expect(lines[0]).toMatchObject({ verdict: 'typical', flagged: false, calibrationCount: 2000, fpr: 0.05 });
    expect(lines[1].error).toBeTruthy();
    expect(lines[2]).toMatchObject({ verdict: 'unusual', flagged: true });
    expect(Object.keys(lines[4])).toEqual(['group']);
    expect(lines[4].group.images.length).toBeGreaterThan(0);
  });

  it('a profile without calibration, a merged one and one with 10 calibration images say "not calibrated", never typical/ok', () => {
    const bg = subset(dir, 'background', 60);
    const cal = subset(dir, 'calibration', 10);
    const none = join(dir, 'none.hsp');
    const ten = join(dir, 'ten.hsp');
    const merged = join(dir, 'merged.hsp');
    const p0 = cli(['profile', '--model', MODEL, '--images', bg, '--no-calibration', '--out', none]);
    expect(p0.status, p0.stderr).toBe(0);
    expect(p0.stderr).toMatch(/cannot flag at FPR 0\.05: it needs at least 19 calibration images/);
    const p10 = cli(['profile', '--model', MODEL, '--images', bg, '--calibration', cal, '--out', ten]);
    expect(p10.status, p10.stderr).toBe(0);
    expect(p10.stderr).toMatch(/needs at least 19 calibration images .*it has 10/);
    expect(decodeProfile(readFileSync(ten)).header.calibration?.count).toBe(10);
    const shard = join(dir, 'shard.hsp');
    const s1 = cli(['profile', '--model', MODEL, '--images', subset(dir, 'background', 30, 60), '--edges-from', ten, '--out', shard]);
    expect(s1.status, s1.stderr).toBe(0);
    // A shard is calibrated after the merge, which says so: no warning that it cannot flag.
    expect(s1.stderr).not.toMatch(/cannot flag/);
    const m = cli(['merge', ten, shard, '--out', merged]);
    expect(m.status, m.stderr).toBe(0);
    // The same profile twice, or a shard beside a profile merged from it, would count its images twice.
    expect(cli(['merge', ten, none, '--out', join(dir, 'twice.hsp')]).stderr).toMatch(/Profile 2 is profile 1 again/);
    expect(cli(['merge', merged, shard, '--out', join(dir, 'twice.hsp')]).stderr).toMatch(/Profiles 1 and 2 hold the same shard's images/);
    // The calibrate command it suggests can be pasted: a path with a space is quoted.
    const spaced = join(dir, 'my merged.hsp');
    expect(cli(['merge', ten, shard, '--out', spaced]).stderr).toContain(`--profile '${spaced}' --images HELD-OUT --out '${spaced}'`);

    const cases: [string, RegExp][] = [
      [none, /no calibration/],
      [merged, /no calibration/],
      [ten, /10 calibration images cannot flag at FPR 0\.05: at least 19 are needed/],
    ];
    for (const [hsp, reason] of cases) {
      const j = cli(['score', '--model', MODEL, '--profile', hsp, '--json', CLEAN, ...PGD]);
      expect(j.status, j.stderr).toBe(0);
      // A reason continued after a colon starts in lower case.
      expect(j.stderr).toMatch(/warning: no verdict at FPR 0\.05: (the profile has no calibration|10 calibration images)/);
      const { results } = JSON.parse(j.stdout);
      expect(results).toHaveLength(3);
      for (const r of results) {
        expect(r.verdict, hsp).toBe('uncalibrated');
        expect(r.verdictReason).toMatch(reason);
        expect(r.flagged).toBe(false);
      }

      const t = cli(['score', '--model', MODEL, '--profile', hsp, CLEAN, ...PGD]);
      expect(t.status).toBe(0);
      const rows = t.stdout.trimEnd().split('\n');
      expect(rows).toHaveLength(3);
      for (const row of rows) {
        expect(row.split('\t')[1]).toMatch(/^not calibrated: /);
        expect(row.split('\t')[1]).toMatch(reason);
        expect(row).not.toMatch(/\t(ok|typical|unusual)\t/i);
      }
      // A gate on a profile that cannot flag would pass everything: an input error instead.
      const g = cli(['score', '--model', MODEL, '--profile', hsp, '--fail-on-flagged', ...PGD]);
      expect(g.status).toBe(1);
      expect(g.stderr).toMatch(/--fail-on-flagged cannot gate at FPR 0\.05: /);
      expect(g.stdout).toBe(''); // refused before any image is checked
    }
  });

  it('profile without --calibration holds out every 5th image to calibrate, as the page does, or the fewest that can flag', () => {
    const bg = subset(dir, 'background', 60, 600);
    const out = join(dir, 'held-out.hsp');
    // Every 5th would be 12, too few to flag at FPR 5%: the 19 that can, spread through the folder.
    const r = cli(['profile', '--model', MODEL, '--images', bg, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/note: calibrating on 19 of the 60 images in .* \(spread through them: the fewest that can flag at FPR 0.05, where every 5th would be too few\), the other 41 are the background/);
    expect(r.stderr).toMatch(/warning: only 41 background images: no node's p-value can go below 1\/42/);
    expect(r.stderr).not.toMatch(/cannot flag/);
    const h = decodeProfile(readFileSync(out)).header;
    expect([h.count, h.calibration?.count]).toEqual([41, 19]);
    // A file named as an image that is none, and a cut PNG, take no calibration place: the split is
    // planned on the 60 that are images, and the two are reported as skipped (exit 2).
    const mixed = join(dir, 'mixed');
    mkdirSync(mixed);
    for (const f of readdirSync(bg)) copyFileSync(join(bg, f), join(mixed, f));
    writeFileSync(join(mixed, '00000-broken.png'), 'not an image at all');
    const last = readdirSync(bg).sort().at(-1)!;
    writeFileSync(join(mixed, 'zz-cut.png'), readFileSync(join(bg, last)).subarray(0, 200));
    const m = cli(['profile', '--model', MODEL, '--images', mixed, '--out', join(dir, 'mixed.hsp')]);
    expect(m.status, m.stderr).toBe(2);
    expect(m.stderr).toMatch(/note: calibrating on 19 of the 60 readable images \(of 62\) in .*, the other 41 are the background/);
    expect(m.stderr).toMatch(/skipped \S*mixed\/00000-broken\.png: this is a text file/);
    expect(m.stderr).toMatch(/skipped \S*mixed\/zz-cut\.png: the PNG is truncated or corrupt/);
    expect(m.stderr).not.toMatch(/cannot flag/);
    expect([decodeProfile(readFileSync(join(dir, 'mixed.hsp'))).header.calibration?.count]).toEqual([19]);
    // At FPR 1% not even half would do (99 needed): every 5th, and the warning that it cannot flag.
    const strict = cli(['profile', '--model', MODEL, '--images', bg, '--fpr', '0.01', '--out', join(dir, 'strict.hsp')]);
    expect(strict.stderr).toMatch(/note: calibrating on 12 of the 60 images in .* \(every 5th\), the other 48 are the background/);
    expect(strict.stderr).toMatch(/this profile cannot flag at FPR 0.01: it needs at least 99 calibration images/);
    // The FPR is each reader's flag, not the profile's: the build says what to score with.
    expect(strict.stderr).toMatch(/, calibrated on 12 \(score with --fpr 0\.01\); provider/);
    // Under 10 images none is held out, and the note says why the profile will not flag.
    const few = cli(['profile', '--model', MODEL, '--images', subset(dir, 'background', 4, 700), '--out', join(dir, 'few.hsp')]);
    expect(few.stderr).toMatch(/note: all 4 images in .* are the background: under 10, none is held out to calibrate/);
    // A model that does not open is all it says: no note on a split that will not be used.
    const missing = cli(['profile', '--model', join(dir, 'nope.onnx'), '--images', bg, '--out', join(dir, 'nope.hsp')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).not.toMatch(/calibrating on/);
  });

  it('calibration images that are also in the background (under any name) are left out of the calibration, with a warning', () => {
    const bg = subset(dir, 'background', 40, 700);
    const cal = subset(dir, 'calibration', 20, 700);
    for (const f of readdirSync(bg).slice(0, 10)) copyFileSync(join(bg, f), join(cal, `again-${f}`));
    const out = join(dir, 'twins.hsp');
    const r = cli(['profile', '--model', MODEL, '--images', bg, '--calibration', cal, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: 10 of the 30 calibration images are also in the background \(the same input to the model, e\.g\. .*again-/);
    expect(decodeProfile(readFileSync(out)).header.calibration?.count).toBe(20);
    // Calibrated again later, with no background at hand: the profile's keys of its images' pixels find the same 10.
    const again = join(dir, 'twins-again.hsp');
    const c = cli(['calibrate', '--model', MODEL, '--profile', out, '--images', cal, '--out', again]);
    expect(c.status, c.stderr).toBe(0);
    expect(c.stderr).toMatch(/warning: 10 of the 30 calibration images are also in the background \(the same input to the model, e\.g\. .*again-/);
    expect(c.stderr).not.toMatch(/keeps no checksum/);
    expect(decodeProfile(readFileSync(again)).header.calibration?.count).toBe(20);
    // Only the background's own images: nothing to calibrate on, and the calibrated profile is not overwritten.
    const before = readFileSync(again);
    const none = cli(['calibrate', '--model', MODEL, '--profile', again, '--images', bg, '--out', again]);
    expect(none.status).not.toBe(0);
    expect(none.stderr).toMatch(/warning: 40 of the 40 calibration images are also in the background/);
    expect(none.stderr).toMatch(/No image calibrated the profile \(see above\): \S+ was not written, and keeps its calibration\./);
    expect(readFileSync(again).equals(before)).toBe(true);
  });

  it('profile from a folder none of whose images decode exits 1 and says why, writing nothing', () => {
    const bad = join(dir, 'unreadable');
    mkdirSync(bad);
    for (const i of [1, 2, 3]) writeFileSync(join(bad, `notes-${i}.png`), `not an image ${i}`);
    const out = join(dir, 'unreadable.hsp');
    const r = cli(['profile', '--model', MODEL, '--images', bad, '--out', out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/None of the 3 background images could be read \(notes-1\.png: this is a text file, not an image; use PNG/);
    expect(existsSync(out)).toBe(false);
  });

  it('profile exits 2 when it skipped images, and still writes the profile of the rest', () => {
    const bg = subset(dir, 'background', 20, 300);
    writeFileSync(join(bg, 'zz-notes.png'), 'not an image');
    const out = join(dir, 'skip.hsp');
    const r = cli(['profile', '--model', MODEL, '--images', bg, '--no-calibration', '--out', out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/skipped \S*zz-notes\.png: this is a text file/); // named once
    expect(existsSync(out)).toBe(true);
    expect(decodeProfile(readFileSync(out)).header.count).toBe(20);
  });

  it('a spec beside the model may give some fields; one with a typo stops with its path; a model.json of another kind is not one', () => {
    const at = join(dir, 'beside');
    mkdirSync(at, { recursive: true });
    const model = join(at, 'm.onnx');
    copyFileSync('tests/fixtures/models/rgb-opset11.onnx', model);
    const spec = (json: object) => {
      writeFileSync(join(at, 'm.json'), JSON.stringify(json));
      return cli(['inspect', '--model', model]);
    };
    // Nothing beside it: what was assumed is said, with the flags that change it.
    expect(cli(['inspect', '--model', model]).stdout).toMatch(/preprocessing assumed from the input alone: pixels to \[0, 1\], no mean or std, RGB, stretched to 12x12 \(HxW, as --size\); if the model was trained otherwise, give --mean\/--std/);
    const partial = spec({ mean: [0.5], std: [0.5] });
    expect(partial.status, partial.stderr).toBe(0);
    expect(partial.stdout).not.toMatch(/preprocessing assumed/);
    // The pixel values given, the resize not: the stretch is said; a spec that names it is quiet.
    expect(partial.stdout).toMatch(/no resize was given: images are stretched to 12x12 \(HxW, as --size\), whatever their aspect ratio; .*give --resize center-crop\|pad/);
    expect(spec({ mean: [0.5], std: [0.5], resize: 'stretch' }).stdout).not.toMatch(/no resize was given/);
    expect(partial.stdout).toMatch(/spec +\{"inputName":"input","height":12,"width":12,"channels":3,"layout":"nchw","scale":255,"mean":\[0.5\],"std":\[0.5\]/);
    expect(partial.stderr).not.toMatch(/maps pixels/);
    // A Keras model's 127.5 given for pixels in [0, 255] while scale divides them by 255: every pixel near -1, said.
    const keras = cli(['inspect', '--model', model, '--mean', '127.5', '--std', '127.5']);
    expect(keras.stderr).toMatch(/warning: the preprocessing maps pixels 0 to 255 to \[-1.000, -0.992\]: the model sees nearly the same value in every pixel\. .*give mean 0\.5 and std 0\.5 \(or scale 127\.5, mean 1 and std 1\)/);
    const typo = spec({ mean: [0.5], resize: 'strech' });
    expect(typo.status).toBe(1);
    expect(typo.stdout).toMatch(/plan: unavailable: no spec \(above\)/);
    expect(typo.stdout).toMatch(/spec +unavailable: Invalid model spec: resize must be "stretch", "center-crop", "pad", not "strech". In .*m\.json \(read as the spec of the model beside it\)/);
    const tfjs = spec({ format: 'graph-model', modelTopology: {}, weightsManifest: [] });
    expect(tfjs.status, tfjs.stdout).toBe(0);
    expect(tfjs.stdout).toMatch(/"mean":\[0\],"std":\[1\]/);
    // A flag wins over the file; two flags that disagree stop.
    expect(cli(['inspect', '--model', model, '--resize', 'pad']).stdout).toMatch(/"resize":"pad"/);
    expect(cli(['inspect', '--model', model, '--resize', 'pad', '--center-crop']).stdout).toMatch(/--center-crop and --resize pad disagree/);
  });

  it('score reads the spec beside the model too: its class names are taken; where it preprocesses otherwise, the profile\'s own is used, and said', () => {
    const at = join(dir, 'beside-score');
    mkdirSync(at, { recursive: true });
    const model = join(at, 'fashion.onnx');
    copyFileSync(MODEL, model);
    const score = (json: object) => {
      writeFileSync(join(at, 'fashion.json'), JSON.stringify(json));
      return cli(['score', '--model', model, '--profile', PROFILE, '--json', CLEAN]);
    };
    const named = score({ classNames: Array.from({ length: 10 }, (_, i) => `kind-${i}`) });
    expect(named.status, named.stderr).toBe(0);
    expect(JSON.parse(named.stdout).results[0].classes[0].label).toMatch(/^kind-\d$/);
    const before = JSON.parse(cli(['score', '--model', MODEL, '--profile', PROFILE, '--json', CLEAN]).stdout).results[0].score;
    const other = score({ mean: [0.5], std: [0.5] });
    expect(other.status, other.stderr).toBe(0);
    expect(other.stderr).toMatch(/note: .*fashion\.json preprocesses otherwise than the profile \(mean 0 in the profile, 0\.5 in the file; std 1 in the profile, 0\.5 in the file\): the profile's own is used/);
    expect(JSON.parse(other.stdout).results[0].score).toBe(before);
    // Flags still have to match the profile.
    expect(cli(['score', '--model', model, '--profile', PROFILE, '--mean', '0.5', CLEAN]).stderr).toMatch(/preprocessed otherwise than these would be \(mean 0 in the profile, 0\.5 now\)/);
  });

  it('inspect names the output the classes come from, and --output chooses another', () => {
    const M = 'tests/fixtures/models/embedding-first.onnx';
    expect(cli(['inspect', '--model', M]).stdout).toMatch(/classes from output logits \(one of 2 float outputs: choose another with --output\)/);
    const other = cli(['inspect', '--model', M, '--output', 'embedding']);
    expect(other.stdout).toMatch(/classes from output embedding/);
    expect(other.stdout).toMatch(/histograms per predicted class \(4 classes\)/);
  });

  it('a folder\'s .jfif images are checked, and an image that is a link to nothing is named and fails the run (2), not passed over', () => {
    const at = join(dir, 'names');
    mkdirSync(at, { recursive: true });
    copyFileSync('e2e/fixtures/photo.jpg', join(at, 'a.jfif'));
    symlinkSync(join(at, 'missing.png'), join(at, 'gone.png'));
    const r = cli(['score', '--model', MODEL, '--profile', PROFILE, '--json', at]);
    expect(r.status, r.stderr).toBe(2);
    expect((JSON.parse(r.stdout) as { results: { file: string }[] }).results.map((x) => x.file)).toEqual([join(at, 'a.jfif')]);
    expect(r.stderr).toMatch(/left out 1 image that is a link to nothing: .*gone\.png/);
  });

  it('calibrate says the size it wrote beside the size it read (its table grows with the images)', () => {
    const out = join(dir, 'recal.hsp');
    const r = cli(['calibrate', '--model', MODEL, '--profile', PROFILE, '--images', subset(dir, 'calibration', 20), '--out', out]);
    expect(r.status).toBe(0);
    // The bundled profile is older than the keys: its own images cannot be told, and it says so.
    expect(r.stderr).toMatch(/warning: this profile keeps no checksum of its background images .* Calibrate on images the background did not hold\./);
    const [, now, was] = /calibrated on 20 images, ([\d,]+) bytes \(was ([\d,]+)\)/.exec(r.stderr)!.map((x) => Number(x?.replace(/,/g, '')));
    expect([now, was]).toEqual([statSync(out).size, statSync(PROFILE).size]);
    expect(now).toBeLessThan(was); // the shipped profile's table holds 2,000 images
  });

  it('calibrate warns where the model puts nearly all calibration images in one class the background is not', () => {
    // 30 images the model reads as trousers (it puts about a tenth of the background there).
    const pool = subset(dir, 'calibration', 400, 1000);
    // Text lines: file, verdict, score, q, top class.
    const lines = cli(['score', '--model', MODEL, '--profile', PROFILE, pool]).stdout.trimEnd().split('\n').map((l) => l.split('\t'));
    const trousers = lines.filter((l) => l[4].startsWith('Trouser ')).slice(0, 30);
    expect(trousers).toHaveLength(30);
    const one = join(dir, 'one-kind');
    mkdirSync(one);
    for (const [file] of trousers) copyFileSync(file, join(one, file.split('/').pop()!));
    const r = cli(['calibrate', '--model', MODEL, '--profile', PROFILE, '--images', one, '--out', join(dir, 'one-kind.hsp')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: the model puts 30 of 30 calibration images \(100%\) in one class \(Trouser\), where it puts 1\d% of the background: the verdict's FPR holds for images like the calibration images/);
    // A calibration of every kind says nothing of the sort.
    expect(cli(['calibrate', '--model', MODEL, '--profile', PROFILE, '--images', subset(dir, 'calibration', 30, 1400), '--out', join(dir, 'mixed-kinds.hsp')]).stderr).not.toMatch(/in one class/);
  });

  it('nothing to check or calibrate on is an input error (exit 1, nothing written); unreadable images are named and exit 2', () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty, { recursive: true });
    const gate = cli(['score', '--model', MODEL, '--profile', PROFILE, '--fail-on-flagged', empty]);
    expect([gate.status, gate.stderr]).toEqual([1, expect.stringMatching(/No image files in .*empty: nothing to check/)]);
    // A shard past the folder's images (a job array larger than it): which, not "no image files".
    const few = subset(dir, 'clean', 4);
    const past = cli(['profile', '--model', MODEL, '--images', few, '--shard', '5/8', '--out', join(dir, 'past.hsp')]);
    expect([past.status, past.stderr]).toEqual([1, expect.stringMatching(/--shard 5\/8 holds no image: .* has 4 images, fewer than its shards/)]);
    // A calibration folder none of whose images decode: refused, and the profile given is not overwritten.
    const bad = join(dir, 'all-bad');
    mkdirSync(bad, { recursive: true });
    for (const n of ['a.png', 'b.png']) writeFileSync(join(bad, n), 'not an image');
    const copy = join(dir, 'keep.hsp');
    copyFileSync(PROFILE, copy);
    const cal = cli(['calibrate', '--model', MODEL, '--profile', copy, '--images', bad, '--out', copy]);
    expect([cal.status, cal.stderr]).toEqual([1, expect.stringMatching(/None of the 2 calibration images could be read/)]);
    expect(readFileSync(copy)).toEqual(readFileSync(PROFILE));
    // eval: an empty calibration folder, a set named twice and a k-NN without k background images stop before any work.
    const bg = subset(dir, 'background', 8);
    const clean = subset(dir, 'clean', 4);
    const eval_ = (...more: string[]) => cli(['eval', '--model', MODEL, '--background', bg, '--clean', clean, '--anomalous', `a=${subset(dir, 'synth', 4)}`, ...more]);
    expect(eval_('--calibration', empty).stderr).toMatch(/No image files in .*empty/);
    expect(eval_('--anomalous', `a=${clean}`).stderr).toMatch(/--anomalous names "a" twice/);
    expect(eval_('--methods', 'knn').stderr).toMatch(/k-NN peer with k = 10 needs at least 10 background images, and there are 8/);
    // An unreadable clean image is named, the rest evaluated, and the status says some failed.
    writeFileSync(join(clean, 'broken.png'), 'not an image');
    const some = eval_('--methods', 'msp,energy');
    expect([some.status, some.stderr]).toEqual([2, expect.stringMatching(/skipped .*broken\.png: .*text file/)]);
    // activations likewise.
    const act = cli(['activations', '--model', MODEL, '--images', clean, '--out', join(dir, 'act.npy')]);
    expect([act.status, act.stderr]).toEqual([2, expect.stringMatching(/skipped .*broken\.png/)]);
  });

  it('a reader that stops early (| head -1) ends the CLI quietly, with no stack trace', () => {
    const imgs = subset(dir, 'clean', 30);
    const r = spawnSync('bash', ['-c', `"${process.execPath}" bin/histoscan.js score --model ${MODEL} --profile ${PROFILE} ${imgs} | head -1`], { encoding: 'utf8' });
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/EPIPE|Error|at /);
  });

  it('text output keeps one line per image whatever the file name (control characters escaped)', () => {
    const at = join(dir, 'odd-names');
    mkdirSync(at, { recursive: true });
    copyFileSync(CLEAN, join(at, 'new\nline.png'));
    copyFileSync(CLEAN, join(at, 'esc\u001b[31mred.png'));
    const r = cli(['score', '--model', MODEL, '--profile', PROFILE, at]);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines.map((l) => l.split('\t')[0].split('/').pop())).toEqual(['esc\\u001b[31mred.png', 'new\\nline.png']);
    expect(r.stdout).not.toContain('\u001b');
    // On stderr too: notes about files left out, and errors that name a file.
    writeFileSync(join(at, 'notes\u001b]0;PWNED\u0007.txt'), 'x');
    const n = cli(['score', '--model', MODEL, '--profile', PROFILE, at]);
    expect(n.stderr).toContain('notes\\u001b]0;PWNED\\u0007.txt');
    const gone = cli(['score', '--model', MODEL, '--profile', 'p\u001b[31m.hsp', at]);
    expect(gone.stderr).toContain('No such profile file: p\\u001b[31m.hsp');
    expect(n.stderr + gone.stderr).not.toContain('\u001b');
  });

  it('a shard asking for other bins than its edges profile is refused', () => {
    const r = cli(['profile', '--model', MODEL, '--images', subset(dir, 'background', 20), '--edges-from', PROFILE, '--bins', '8', '--out', join(dir, 'x.hsp')]);
    expect([r.status, r.stderr]).toEqual([1, expect.stringMatching(/--bins 8 differs from the edges profile's \(16\)/)]);
  });
  it('a pipe, a link to a device and a large file that is no image are left out or refused, and the rest is checked', () => {
    const d = join(dir, 'special');
    mkdirSync(d, { recursive: true });
    copyFileSync(CLEAN, join(d, 'good.png'));
    symlinkSync('/dev/zero', join(d, 'zero.png')); // read whole, it would fill the memory
    spawnSync('mkfifo', [join(d, 'fifo.png')]); // read, it would block for ever
    writeFileSync(join(d, 'big.png'), '');
    truncateSync(join(d, 'big.png'), 600 * 2 ** 20); // sparse: 600 MiB of zeros, refused from its head
    const r = cli(['score', '--model', MODEL, '--profile', PROFILE, d]);
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/good\.png\ttypical/);
    // The line names the file once: the message without the name it starts with.
    expect(r.stdout).toMatch(/big\.png\tERROR\tthis is not an image/);
    expect(r.stderr).toMatch(/left out 2 special files \(pipes, sockets or devices, never read\): .*fifo\.png, .*zero\.png/);
      // A pipe alone (every image read and typical) still fails the run: images may be behind what was not read.
    rmSync(join(d, 'big.png'));
    rmSync(join(d, 'zero.png'));
    expect(cli(['score', '--model', MODEL, '--profile', PROFILE, d]).status).toBe(2);
  });

  it('an image named twice (a folder and a file in it, or a link to it) is checked once, and said so', () => {
    const d = join(dir, 'twice');
    mkdirSync(d, { recursive: true });
    copyFileSync(CLEAN, join(d, 'a.png'));
    symlinkSync('a.png', join(d, 'b.png'));
    const r = cli(['score', '--model', MODEL, '--profile', PROFILE, d, join(d, 'a.png')]);
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/left out 2 images named twice \(checked once\): .*b\.png, .*a\.png/);
  });

  it('an output path in no folder, or a folder, is refused before any work', () => {
    for (const out of [join(dir, 'nowhere', 'x.hsp'), dir]) {
      const r = cli(['profile', '--model', MODEL, '--images', 'data/clean', '--out', out]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(out === dir ? /is a folder; give a file name in it/ : /the folder .*nowhere does not exist/);
    }
  });
  it('eval warns about a test image that the background holds also where no peer reads the background', () => {
    const bg = subset(dir, 'background', 20, 900);
    const clean = subset(dir, 'clean', 6, 900);
    copyFileSync(join(bg, readdirSync(bg).sort()[3]), join(clean, 'copy-of-background.png'));
    const r = cli(['eval', '--model', MODEL, '--background', bg, '--clean', clean, '--anomalous', `x=${subset(dir, 'pgd-0.05', 6, 900)}`, '--methods', 'histogram,msp', '--split', 'all']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/warning: 1 of the 7 clean images are also among the background images \(the same input to the model, e\.g\. .*copy-of-background\.png\)/);
    // A calibration image the background holds: left out and said as \`profile\` says it, once.
    const cal = subset(dir, 'calibration', 20, 900);
    copyFileSync(join(bg, readdirSync(bg).sort()[5]), join(cal, 'also-background.png'));
    const c = cli(['eval', '--model', MODEL, '--background', bg, '--calibration', cal, '--clean', clean, '--anomalous', `x=${subset(dir, 'pgd-0.05', 6, 900)}`, '--methods', 'histogram,msp', '--split', 'all']);
    expect(c.status).toBe(0);
    expect(c.stderr.match(/also-background\.png/g)).toHaveLength(1);
    expect(c.stderr).toMatch(/warning: 1 of the 21 calibration images is also in the background \(the same input to the model, e\.g\. .*also-background\.png\): left out of the calibration/);
  });
  it('eval with a set none of whose images decode says so, as a build does, instead of an AUC of NaN', () => {
    const bad = join(dir, 'all-bad');
    mkdirSync(bad, { recursive: true });
    writeFileSync(join(bad, 'a.png'), 'not an image');
    writeFileSync(join(bad, 'b.png'), '');
    const args = ['eval', '--model', MODEL, '--background', subset(dir, 'background', 20), '--methods', 'histogram,msp'];
    for (const [clean, other] of [[subset(dir, 'clean', 5), bad], [bad, subset(dir, 'clean', 5)]]) {
      const r = cli([...args, '--clean', clean, '--anomalous', `x=${other}`]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/None of the 2 images of "(x|clean)" could be read \(a\.png: this is a text file.*b\.png: the file is empty/);
    }
  });
});

describe('writing an output file', () => {
  it('never writes through a link placed where its temporary file would be', () => {
    const at = join(dir, 'out');
    mkdirSync(at);
    const victim = join(at, 'victim.txt');
    writeFileSync(victim, 'keep me');
    const out = join(at, 'shared', 'out.hsp');
    mkdirSync(join(at, 'shared'));
    // The name a temporary file of this process had (out.hsp.<pid>.tmp), taken by a link to another file.
    symlinkSync(victim, `${out}.${process.pid}.tmp`);
    writeAtomic(out, 'profile bytes');
    expect(readFileSync(victim, 'utf8')).toBe('keep me');
    expect(readFileSync(out, 'utf8')).toBe('profile bytes');
    expect(readdirSync(join(at, 'shared')).filter((f) => f !== `out.hsp.${process.pid}.tmp`)).toEqual(['out.hsp']); // no temporary file left
  });
});

describe('a model, profile or spec that is a device or a pipe', () => {
  it('is refused at once, not read for ever', () => {
    const at = join(dir, 'devices');
    mkdirSync(at);
    const fifo = join(at, 'pipe.hsp');
    spawnSync('mkfifo', [fifo]);
    for (const [flag, path, what] of [['--model', '/dev/zero', 'model'], ['--profile', '/dev/zero', 'profile'], ['--profile', fifo, 'profile'], ['--spec', '/dev/zero', 'spec']]) {
      const given: Record<string, string> = { '--model': MODEL, '--profile': PROFILE, [flag]: path };
      const args = ['score', ...Object.entries(given).flat(), 'data/clean/00000.png'];
      const r = spawnSync(process.execPath, ['bin/histoscan.js', ...args], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status, `${flag} ${path}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toContain(`The ${what} file ${path} is not a regular file (a pipe or a device would be read for ever).`);
    }
  });
});

describe('a large 16-bit PNG within the pixel limit', () => {
  it('is read sample by sample, not through an array of numbers that ran the process out of heap', () => {
    const at = join(dir, 'deep');
    mkdirSync(at);
    // 2500×2500 RGBA at 16 bits (25 M samples), all zero: a small file. Mapped through Uint8Array.from, the
    // samples became 25 M JS numbers (200 MB) on a heap held here to 128 MB, and V8 aborted the process.
    const [w, h] = [2500, 2500];
    const rows = Buffer.alloc(h * (1 + 8 * w));
    const file = join(at, 'deep.png');
    writeFileSync(file, concat([SIGNATURE, ihdr(w, h, 16, 6), chunk('IDAT', deflateSync(rows)), chunk('IEND', new Uint8Array())]));
    const r = spawnSync(process.execPath, ['bin/histoscan.js', 'score', '--model', MODEL, '--profile', PROFILE, file, 'data/clean/00000.png'], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=128' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/deep\.png\t(typical|unusual)\t/);
  });
});
