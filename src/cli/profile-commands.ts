// The commands on profiles already built: `calibrate` (a verdict table on held-out images) and `merge` (shards on shared edges).
import { existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { encodeProfile, mergeProfiles, UsageError } from '../core/index.ts';
import { counted } from '../core/words.ts';
import { DEFAULTS, GENERATOR } from '../defaults.ts';
import type { Progress } from '../types.ts';
import { EXIT } from './exit.ts';
import { outFile, readProfile, shellWord, writeAtomic } from './io.ts';
import { imagesOf, openDetector, report, specOptions } from './options.ts';
import { providerOption } from './plan.ts';
import { shardCoverage } from './shards.ts';
import { progress, rate } from './progress.ts';

export function profileCommands(program: Command): void {
  // The profile fixes the layers and their reductions: calibrate takes the spec flags and the runtime only.
  specOptions(
    program
      .command('calibrate')
      .description("(re)calibrate a profile's verdict on held-out known-good images (merged shard profiles need this)")
      .requiredOption('--model <file>', 'ONNX model')
      .requiredOption('--profile <file>', 'profile (.hsp) built for this model')
      .requiredOption('--images <dir>', 'held-out known-good images, not used for the background')
      .option('--fpr <rate>', 'the verdict FPR the calibration set must be able to reach (warns when it is too small)', rate, DEFAULTS.fpr)
      .requiredOption('--out <file>', 'output .hsp (may be the input profile)', outFile)
      .addOption(providerOption()),
  ).action(async (opts) => {
    const profile = readProfile(opts.profile);
    const detector = await openDetector(opts, profile);
    const bar = progress();
    const result = await detector.calibrate(profile, imagesOf(opts.images), { batchSize: DEFAULTS.batchSize, fpr: opts.fpr, onProgress: (p: Progress) => bar.update(p) });
    bar.stop();
    report(result);
    // No image left to calibrate on (each one the background's, or unreadable): nothing is written, so a table that could flag is not replaced by none.
    if (!result.profile.header.calibration!.count) throw new UsageError(`No image calibrated the profile (see above): ${opts.out} was not written${opts.profile === opts.out ? ', and keeps its calibration' : ''}.`);
    const [bytes, before] = [encodeProfile(result.profile), statSync(opts.profile).size];
    writeAtomic(opts.out, bytes);
    console.error(`wrote ${opts.out}: calibrated on ${result.profile.header.calibration!.count} images, ${bytes.length.toLocaleString('en')} bytes (was ${before.toLocaleString('en')})`);
    // The table grows with the images (a few hundred bytes each); a page downloads the profile whole.
    const budget = DEFAULTS.budgetMB * 1e6;
    if (bytes.length > budget && bytes.length > before) console.error(`warning: the profile is now over the default budget of ${DEFAULTS.budgetMB} MB; calibrating on fewer images keeps it smaller (1,000 reach a 1% FPR).`);
    detector.release();
    if (result.skipped.length) process.exitCode = EXIT.failed;
  });

  program
    .command('merge')
    .description('merge shard profiles built with shared edges (exact: counts add)')
    .argument('<profiles...>', '.hsp files')
    .requiredOption('--out <file>', 'output .hsp', outFile)
    .action((paths: string[], opts) => {
      const profiles = paths.map(readProfile);
      const merged = mergeProfiles(profiles, GENERATOR);
      const missing = shardCoverage(profiles.map((p) => p.header.source ?? ''), paths);
      writeAtomic(opts.out, encodeProfile(merged));
      console.error(`wrote ${opts.out}: ${counted(merged.header.count, 'background image')} from ${counted(paths.length, 'profile')}`);
      // A job array one of whose shards failed must not merge as if complete: said, and status 2.
      if (missing) console.error(`warning: ${missing}`);
      if (missing) process.exitCode = EXIT.failed;
      // A merge drops any shard's calibration: the merged background is another one.
      const out = shellWord(opts.out);
      // The model's file name as the shards recorded it: a profile keeps no folder, so one not here is named in DIR.
      const name = merged.header.modelName;
      const model = !name ? 'MODEL.onnx' : existsSync(name) ? shellWord(name) : `DIR/${shellWord(name)}`;
      const dir = name && !existsSync(name) ? ' (DIR: the folder that holds the model)' : '';
      console.error(`note: not calibrated${profiles.some((p) => p.header.calibration) ? " (a merge drops the shards' calibration)" : ''}: run \`histoscan calibrate --model ${model} --profile ${out} --images HELD-OUT --out ${out}\`${dir} before scoring.`);
    });
}
