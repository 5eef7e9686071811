// Counts in sentences, one way for the page, the CLI and the build's notes: "1 image", "18,944 nodes".
export const counted = (n: number, noun: string): string => `${n.toLocaleString('en')} ${noun}${n === 1 ? '' : 's'}`;
/** Bytes in words, one way for the page, the CLI and the plan: "812 B", "95.9 kB", "5.84 MB", "562.3 MB". */
export const fmtBytes = (b: number): string =>
  b >= 1e6 ? `${(b / 1e6).toFixed(b < 1e7 ? 2 : 1)} MB` : b >= 1e3 ? `${(b / 1e3).toFixed(1)} kB` : `${b} B`;
/** A result's first class as the CLI and the page name it: "mean: " before it where the classes are an output's positional mean (ImageResult.topOfMean). */
export const topLabel = (r: { top: readonly { label: string }[]; topOfMean?: true }): string => `${r.topOfMean ? 'mean: ' : ''}${r.top[0]?.label ?? ''}`;
/** A sentence continued after a colon: "The profile …" as "the profile …" (an acronym's capitals kept). */
export const afterColon = (s: string): string => s.replace(/^[A-Z](?=[a-z])/, (c) => c.toLowerCase());
/** The first three of some names, and how many more. */
export const someOf = (names: string[]): string => `${names.slice(0, 3).join(', ')}${names.length > 3 ? `, and ${names.length - 3} more` : ''}`;
/** An error message without the file name it starts with, for a line or row that names the file already. */
export function ownMessage(error: string, file: string): string {
  const name = file.split(/[\\/]/).pop()!;
  return error.startsWith(`${name}: `) ? error.slice(name.length + 2) : error;
}
/** A skipped image as the CLI reports it: its path, then why. */
export const skippedLine = (k: { file: string; error: string }) => `skipped ${k.file}: ${ownMessage(k.error, k.file)}`;

// Control characters (C0, DEL, C1) and the bidirectional controls that reorder the text around them
// ("x\u202egnp.exe" reads as "xexe.png"): a name shows them as escapes, in the CLI and the page alike.
const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const escaped = (c: string) => {
  const json = JSON.stringify(c).slice(1, -1);
  return json !== c ? json : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
};
/** A name or message with its hidden characters escaped (\n, \t, \u001b, \u202e), so a line stays one line of tab-separated fields, no file name writes to the terminal and none reads as another. */
export const printable = (s: string) => s.replace(HIDDEN, escaped);
/** The same, keeping line breaks and tabs: for messages of several lines. */
export const printableLines = (s: string) => s.replace(HIDDEN, (c) => (c === '\n' || c === '\t' ? c : escaped(c)));
