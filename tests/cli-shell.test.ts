// The CLI in shell pipelines, on terminals and under signals, as scripts and CI jobs run it: the real CLI on real images.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeProfile } from '../src/core/index.ts';
import { progress, stopBars } from '../src/cli/progress.ts';
import { shardCoverage, shardSource } from '../src/cli/shards.ts';
import { cli, MODEL, PROFILE, subset } from './fixtures/cli.ts';
import { chunk, concat, ihdr, SIGNATURE } from './fixtures/png-bytes.ts';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'histoscan-shell-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const score = (...args: string[]) => ['bin/histoscan.js', 'score', '--model', MODEL, '--profile', PROFILE, ...args];

describe('the CLI in pipelines and on terminals', () => {
  it('a reader that stops early ends the run with the status of SIGPIPE, which `set -o pipefail` sees', () => {
    const flagged = subset(dir, 'fgsm-0.1', 40);
    const sh = `set -o pipefail; "${process.execPath}" ${score('--fail-on-flagged', flagged).join(' ')} 2>/dev/null | head -1 >/dev/null`;
    expect(spawnSync('bash', ['-c', sh]).status).toBe(141);
  });

  it('an error after the progress bar started on a terminal ends the run (the bar stopped, the cursor shown again)', () => {
    // PNGs whose head is right and whose pixels do not inflate: the build fails after its bar started.
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    const broken = concat([SIGNATURE, ihdr(28, 28, 8, 0), chunk('IDAT', new Uint8Array(64).fill(255)), chunk('IEND', new Uint8Array(0))]);
    for (let i = 0; i < 30; i++) writeFileSync(join(bad, `${i}.png`), broken);
    const cmd = [process.execPath, 'bin/histoscan.js', 'profile', '--model', MODEL, '--images', bad, '--out', join(dir, 'x.hsp')].join(' ');
    // `script` gives the CLI a terminal, where the bar draws; without the fix the process never ended.
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('histoscan: ');
  });

  it("results printed under the bar on a terminal keep the terminal's wrapping, and nothing is written back over them", () => {
    const some = subset(dir, 'ood-mnist', 6);
    // `script` gives the CLI a terminal (stdout and stderr both), as a user's shell does.
    const r = spawnSync('script', ['-qec', [process.execPath, ...score(some)].join(' '), '/dev/null'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status).toBe(0);
    const out = r.stdout;
    const results = [...out.matchAll(/0000\d\.png\t(unusual|typical)/g)].map((m) => m.index);
    expect(results).toHaveLength(6);
    for (const at of results) {
      const before = out.slice(0, at);
      // Line wrapping is on (the bar turns it off while drawn: a long line was cut at the terminal's edge).
      const off = before.lastIndexOf('\x1b[?7l');
      expect(off === -1 || off < before.lastIndexOf('\x1b[?7h')).toBe(true);
      // No cursor put back to a place saved before this line (it sent later lines over the results).
      const after = out.slice(at);
      const save = after.indexOf('\x1b7');
      const restore = after.indexOf('\x1b8');
      expect(restore === -1 || (save !== -1 && save < restore)).toBe(true);
    }
  });

  it('stopBars stops a bar still drawn and shows the cursor again', () => {
    let out = '';
    const stream = { isTTY: true, columns: 80, write: (s: string) => ((out += s), true) } as unknown as NodeJS.WriteStream;
    progress(stream).update({ stage: 'background', done: 1, total: 10 });
    expect(out).toContain('\x1b[?25l');
    stopBars();
    expect(out).toContain('\x1b[?25h');
  });

  it('Ctrl-C ends a run with status 130 and SIGTERM with 143', async () => {
    const many = subset(dir, 'clean', 400);
    for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
      const child = spawn(process.execPath, score(many), { stdio: ['ignore', 'pipe', 'pipe'] });
      // Sent once the first result is out: the run is under way.
      await new Promise((res) => child.stdout.once('data', res));
      child.kill(signal);
      const code = await new Promise((res) => child.on('exit', (c) => res(c)));
      expect(code).toBe(status);
    }
  });

  it('Ctrl-C and SIGTERM end a profile build on WASM too, and write no profile (its runs and file reads never waited, so the signal went unseen until the end)', async () => {
    for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
      const out = join(dir, `cut-${signal}.hsp`);
      const args = ['bin/histoscan.js', 'profile', '--model', MODEL, '--images', 'data/background', '--provider', 'wasm', '--out', out];
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      // Sent once the build has said its split: it is under way (it takes about 40 s whole).
      let said = '';
      await new Promise<void>((res) => child.stderr.on('data', (d) => (said += d) && said.includes('note: calibrating on') && res()));
      child.kill(signal);
      const code = await new Promise((res) => child.on('exit', (c) => res(c)));
      expect(code).toBe(status);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('a full disk is one line on stderr, not a stack', () => {
    const r = spawnSync('bash', ['-c', `"${process.execPath}" ${score('public/samples/clean-00000.png').join(' ')} > /dev/full`], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe('histoscan: cannot write the output (ENOSPC).');
  });
});

describe('what a folder holds that cannot be read', () => {
  it('an image whose name is not UTF-8 and an image that is a link to nothing fail the run (status 2), named', () => {
    const at = join(dir, 'names');
    mkdirSync(at);
    copyFileSync('public/samples/clean-00000.png', join(at, 'ok.png'));
    // "café.png" in Latin-1: the byte 0xe9 alone is no UTF-8.
    copyFileSync('public/samples/clean-00000.png', Buffer.concat([Buffer.from(`${at}/caf`), Buffer.from([0xe9]), Buffer.from('.png')]));
    const r = cli(['score', '--model', MODEL, '--profile', PROFILE, at]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('left out 1 file whose name is not UTF-8 (rename it to read it)');
    const links = join(dir, 'links');
    mkdirSync(links);
    copyFileSync('public/samples/clean-00000.png', join(links, 'ok.png'));
    symlinkSync('/nonexistent/x.png', join(links, 'annexed.png'));
    symlinkSync('/nonexistent/notes', join(links, 'notes'));
    const l = cli(['score', '--model', MODEL, '--profile', PROFILE, links]);
    expect(l.status).toBe(2);
    expect(l.stderr).toContain(`left out 1 image that is a link to nothing: ${links}/annexed.png`);
    expect(l.stderr).toContain(`left out 1 link to nothing: ${links}/notes`);
  });

  it('a folder given as --profile says so; --out in a folder that cannot be written is refused before the build', () => {
    const r = cli(['score', '--model', MODEL, '--profile', 'public/profiles', 'public/samples/clean-00000.png']);
    expect(r.stderr).toContain('The profile file public/profiles is a folder; give the file in it.');
    const ro = join(dir, 'ro');
    mkdirSync(ro);
    chmodSync(ro, 0o555);
    chmodSync(dir, 0o755);
    // root may write anywhere: the check runs as nobody there.
    const args = ['bin/histoscan.js', 'profile', '--model', MODEL, '--images', 'public/samples', '--out', join(ro, 'x.hsp')];
    const asUser = process.getuid?.() === 0 ? ['runuser', ['-u', 'nobody', '--', process.execPath, ...args]] as const : [process.execPath, args] as const;
    const w = spawnSync(asUser[0], asUser[1], { encoding: 'utf8' });
    expect(w.status).toBe(1);
    expect(w.stderr).toContain(`cannot write in the folder ${ro} (EACCES)`);
  });
});

describe('a folder with a file that does not decode', () => {
  it('calibrates on as many images as planned: the file gives its calibration place to a background image, and the note counts what was split', () => {
    const at = join(dir, 'with-corrupt');
    mkdirSync(at);
    for (const [i, f] of ['00000', '00001', '00002', '00003', ...Array.from({ length: 90 }, (_, k) => String(4 + k).padStart(5, '0'))].entries()) copyFileSync(`data/background/${f}.png`, join(at, `${String(i).padStart(5, '0')}.png`));
    // Fifth in name order, a calibration place: its head is right and its pixels do not inflate.
    writeFileSync(join(at, '00003b.png'), concat([SIGNATURE, ihdr(28, 28, 8, 0), chunk('IDAT', new Uint8Array(64).fill(255)), chunk('IEND', new Uint8Array(0))]));
    const out = join(dir, 'with-corrupt.hsp');
    const r = cli(['profile', '--model', MODEL, '--images', at, '--out', out]);
    expect(r.status).toBe(2); // the file is named, and the run says it was not whole
    expect(r.stderr).toContain('calibrating on 19 of the 94 readable images (of 95)');
    expect(r.stderr).toContain('the other 75 are the background');
    expect(r.stderr).toContain('00003b.png');
    expect(decodeProfile(new Uint8Array(readFileSync(out))).header.calibration?.count).toBe(19);
  });
});

describe('shards', () => {
  it('are keyed by the list of images they were cut from, not by how the folder was typed', () => {
    const files = ['a.png', 'b/c.png'];
    const here = shardSource('data/bg/', files.map((f) => `data/bg/${f}`), '0/2');
    const there = shardSource('/srv/data/bg', files.map((f) => `/srv/data/bg/${f}`), '1/3');
    // It names how many images, not the folder (a path or a name that travels with the profile).
    expect(here).toMatch(/^a folder of 2 images \[list [0-9a-f]{12}\] shard 0\/2$/);
    // One list cut 2 and 3 ways is refused, however its folder was named.
    expect(() => shardCoverage([here, there], ['s0.hsp', 't1.hsp'])).toThrow(/shards cut 3 and 2 ways share images/);
    const both = shardSource('/srv/data/bg', files.map((f) => `/srv/data/bg/${f}`), '1/2');
    expect(shardCoverage([here, both], ['s0.hsp', 's1.hsp'])).toBe('');
    // Shards of 0.4.13 and before named the folder as typed; a trailing slash is the same folder.
    expect(shardCoverage(['data/bg/ shard 0/2', 'data/bg shard 1/2'], ['a', 'b'])).toBe('');
  });
});
