"""Unpack Qt resource files (.rcc, format versions 1-3) into a folder: GCompris ships its images inside them.

    /usr/bin/python3 tools/photo-model/rcc.py OUT_DIR FILE.rcc...

Format (Qt's rcc): header 'qres', version, then offsets of the tree, the data and the names; tree nodes are
14 bytes (version 1) or 22 (version 2+, with a timestamp); a file's data is a 4-byte size and the bytes,
zlib-compressed (after a 4-byte length) when flag 1 is set, zstd-compressed when flag 4 is.
"""
import os
import struct
import subprocess
import sys
import zlib


def extract(path, out):
    b = open(path, 'rb').read()
    if b[:4] != b'qres':
        raise SystemExit(f'{path}: not a Qt resource file')
    version, tree, data, names = struct.unpack('>IIII', b[4:20])
    node = 22 if version >= 2 else 14

    def name(off):
        n = struct.unpack('>H', b[names + off:names + off + 2])[0]
        return b[names + off + 6:names + off + 6 + 2 * n].decode('utf-16-be')

    def walk(i, prefix):
        o = tree + i * node
        name_off, flags = struct.unpack('>IH', b[o:o + 6])
        here = prefix + (name(name_off) if i else '')
        if flags & 2:  # directory
            count, first = struct.unpack('>II', b[o + 6:o + 14])
            for c in range(first, first + count):
                walk(c, here + '/')
            return
        p = data + struct.unpack('>I', b[o + 10:o + 14])[0]
        raw = b[p + 4:p + 4 + struct.unpack('>I', b[p:p + 4])[0]]
        if flags & 1:
            raw = zlib.decompress(raw[4:])
        elif flags & 4:
            raw = subprocess.run(['zstd', '-dcq'], input=raw, capture_output=True, check=True).stdout
        f = os.path.join(out, here.lstrip('/'))
        os.makedirs(os.path.dirname(f), exist_ok=True)
        with open(f, 'wb') as fh:
            fh.write(raw)

    walk(0, '')


if __name__ == '__main__':
    for p in sys.argv[2:]:
        extract(p, sys.argv[1])
