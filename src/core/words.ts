// Counts in sentences, one way for the page, the CLI and the build's notes: "1 image", "18,944 nodes".
export const counted = (n: number, noun: string): string => `${n.toLocaleString('en')} ${noun}${n === 1 ? '' : 's'}`;
/** An error message without the file name it starts with, for a line or row that names the file already. */
export function ownMessage(error: string, file: string): string {
  const name = file.split(/[\\/]/).pop()!;
  return error.startsWith(`${name}: `) ? error.slice(name.length + 2) : error;
}
/** A skipped image as the CLI reports it: its path, then why. */
export const skippedLine = (k: { file: string; error: string }) => `skipped ${k.file}: ${ownMessage(k.error, k.file)}`;
