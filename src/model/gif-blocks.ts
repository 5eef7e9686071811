// A GIF's block structure, read without decoding: where its frames are, and the first one's size.
// One walker for the frame count (frames.ts) and the size check before decoding (image-errors.ts).

const le16 = (b: Uint8Array, at: number) => b[at] | (b[at + 1] << 8);

/**
 * Walks a GIF's blocks after its header, screen descriptor and global colour table: `image(at)` for
 * each image descriptor (0x2C; return true to stop there), extensions and sub-blocks skipped. Says
 * how the walk ended: at the trailer or a byte that starts no block ('end'), or where the bytes ran out ('short').
 */
export function walkGif(b: Uint8Array, image: (at: number) => boolean | void): 'end' | 'short' | 'stopped' {
  let at = 13 + (b[10] & 0x80 ? 3 << ((b[10] & 7) + 1) : 0);
  const skipBlocks = () => {
    while (at < b.length && b[at] !== 0) at += b[at] + 1;
    at += 1;
  };
  while (at < b.length) {
    const kind = b[at];
    if (kind === 0x21) {
      at += 2; // extension introducer and label
      skipBlocks();
    } else if (kind === 0x2c) {
      if (image(at)) return 'stopped';
      const packed = b[at + 9];
      at += 10 + (packed & 0x80 ? 3 << ((packed & 7) + 1) : 0) + 1; // descriptor, local colour table, LZW code size
      skipBlocks();
    } else return 'end'; // the trailer (0x3B), or a damaged file read as far as it goes
  }
  return 'short';
}

/** The first frame's place and size from its image descriptor, where the bytes reach it. */
export function gifFirstFrame(b: Uint8Array): { left: number; top: number; width: number; height: number } | null {
  let frame: { left: number; top: number; width: number; height: number } | null = null;
  walkGif(b, (at) => {
    if (at + 9 <= b.length) frame = { left: le16(b, at + 1), top: le16(b, at + 3), width: le16(b, at + 5), height: le16(b, at + 7) };
    return true;
  });
  return frame;
}
