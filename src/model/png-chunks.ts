// A PNG's chunks in file order, for the few the decoders read themselves (eXIf, acTL, the pixels' IDAT).

/** Each chunk's type and its data's place; stops where the next chunk's head would run past the file. */
export function* pngChunks(b: Uint8Array): Generator<{ type: string; at: number; size: number }> {
  for (let at = 8; at + 12 <= b.length; ) {
    const size = ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
    yield { type: String.fromCharCode(b[at + 4], b[at + 5], b[at + 6], b[at + 7]), at: at + 8, size };
    at += 12 + size;
  }
}
