// Counts in sentences, one way for the page, the CLI and the build's notes: "1 image", "18,944 nodes".
export const counted = (n: number, noun: string): string => `${n.toLocaleString('en')} ${noun}${n === 1 ? '' : 's'}`;
