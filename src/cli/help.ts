// Help and version plumbing of the CLI: required options marked, examples per command, the version
// read from package.json (two levels up both from src/cli/ and from the compiled dist-cli/cli/).
import { readFileSync } from 'node:fs';
import { Help, type Command, type Option } from 'commander';
import { EXIT_HELP } from './exit.ts';

export const version: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

/** Marks mandatory options "(required)" in every command's help (commander does not by itself). */
export function markRequired(program: Command): Command {
  return program.configureHelp({
    optionDescription(this: Help, o: Option) {
      const d = Help.prototype.optionDescription.call(this, o);
      return o.mandatory ? `${d} (required)` : d;
    },
  });
}

/** Appends examples and the exit statuses (the same for every command) below a command's options. */
export function examples(cmd: Command, lines: string[]): Command {
  return cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n\n${EXIT_HELP}`);
}

const EXAMPLES: Record<string, { lines: string[] }> = {
  inspect: { lines: ['histoscan inspect --model my.onnx', 'histoscan inspect --model my.onnx --json'] },
  profile: {
    lines: [
      'histoscan profile --model my.onnx --images good/ --out my.hsp          # every 5th image calibrates the verdict',
      'histoscan profile --model my.onnx --images good/ --calibration held-out-good/ --out my.hsp',
      'histoscan profile --model my.onnx --images bg/ --edges-from edges.hsp --shard 3/50 --out shard-3.hsp',
    ],
  },
  activations: { lines: ['histoscan activations --model my.onnx --images dir/ --reduce channel-mean --out X.npy'] },
  score: {
    lines: [
      'histoscan score --model my.onnx --profile my.hsp photos/ photo.jpg',
      'histoscan score --model my.onnx --profile my.hsp --json photos/ > results.json',
      'histoscan score --model my.onnx --profile my.hsp --jsonl photos/ | jq -c "select(.verdict == \\"unusual\\")"',
      'histoscan score --model my.onnx --profile my.hsp --fail-on-flagged uploads/ || echo "something unusual"',
    ],
  },
  eval: { lines: ['histoscan eval --model my.onnx --background bg/ --calibration cal/ --clean test/ --anomalous attacked=adv/ --json'] },
  calibrate: {
    lines: [
      'histoscan calibrate --model my.onnx --profile merged.hsp --images held-out-good/ --out merged.hsp',
      'histoscan calibrate --model my.onnx --profile my.hsp --images more-good/ --fpr 0.01 --out my-1pct.hsp',
    ],
  },
  merge: { lines: ['histoscan merge shard-*.hsp --out profile.hsp'] },
};

/** Examples and the exit statuses below each command's options. */
export function addExamples(program: Command): void {
  for (const c of program.commands) {
    const e = EXAMPLES[c.name()];
    if (e) examples(c, e.lines);
  }
}
