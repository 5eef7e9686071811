"""List GCompris's photographs in sources.json ('photo'), with author and licence from debian/copyright.

    /usr/bin/python3 tools/photo-model/gcompris_sources.py --debs DIR

DIR/gcompris-qt-data is the package extracted with dpkg -x, its .rcc files unpacked by rcc.py into
usr/share/gcompris-qt/files/. Picked by folder (sorted by eye from contact sheets: these folders hold photos,
the rest of GCompris is drawings, paintings or icons); near-duplicates (the same landmark photo in two
activities) are dropped by a 16x16 difference hash, keeping the larger image; images under 200 px on the
short side are left out (a 224 crop of them would be mostly upsampling).
"""
import argparse
import fnmatch
import json
import os
import re

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = 'gcompris-qt-data'
FILES = 'usr/share/gcompris-qt/files/gcompris/src/activities'
FOLDERS = ['erase/resource', 'explore_world_animals/resource/animals', 'explore_farm_animals/resource/animals',
           'explore_monuments/resource/*', 'explore_world_music/resource/music',
           'categorization/resource/images/tools', 'categorization/resource/images/renewable',
           'categorization/resource/images/fishes', 'categorization/resource/images/monuments',
           'categorization/resource/images/others']
MIN_SIDE = 200


def stanzas(copyright_text):
    """Debian copyright-format 1.0 'Files:' stanzas as (globs, copyright, licence), in file order."""
    out = []
    for block in re.split(r'\n\s*\n', copyright_text):
        fields, key = {}, None
        for line in block.splitlines():
            m = re.match(r'^([A-Za-z-]+):\s*(.*)$', line)
            if m:
                key = m.group(1)
                fields[key] = m.group(2)
            elif key and line.startswith((' ', '\t')):
                fields[key] += '\n' + line.strip()
        if 'Files' in fields and 'License' in fields:
            out.append((fields['Files'].split(), fields.get('Copyright', '').split('\n')[0],
                        fields['License'].split('\n')[0]))
    return out


def licence(stz, path):
    """The last stanza whose glob matches wins (copyright-format 1.0); the package ships .webp where the
    copyright file names the upstream .jpg/.png, so stems are compared too."""
    rel = 'src/activities/' + path.split('/activities/', 1)[1]
    stem = os.path.splitext(rel)[0]
    hit = None
    for globs, who, lic in stz:
        if any(fnmatch.fnmatch(rel, g) or os.path.splitext(g)[0] == stem for g in globs):
            hit = (who, lic)
    return hit


def dhash(path):
    g = np.asarray(Image.open(path).convert('L').resize((17, 16), Image.BILINEAR), np.int16)
    return (g[:, 1:] > g[:, :-1]).ravel()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--debs', required=True)
    args = ap.parse_args()
    root = os.path.join(args.debs, PKG)
    stz = stanzas(open(os.path.join(root, 'usr/share/doc', PKG, 'copyright'), encoding='utf-8').read())
    found = []
    for pattern in FOLDERS:
        base = os.path.join(root, FILES)
        for d in sorted(fnmatch.filter([os.path.relpath(p, base) for p, _, _ in os.walk(base)], pattern)):
            for f in sorted(os.listdir(os.path.join(base, d))):
                if f.endswith(('.webp', '.jpg', '.png')):
                    found.append(os.path.join(FILES, d, f))
    kept, hashes = [], []
    for rel in found:
        full = os.path.join(root, rel)
        size = Image.open(full).size
        if min(size) < MIN_SIDE:
            continue
        h = dhash(full)
        dup = next((i for i, g in enumerate(hashes) if (h != g).sum() <= 40), None)
        if dup is not None:
            if size[0] * size[1] > kept[dup][1]:
                kept[dup], hashes[dup] = (rel, size[0] * size[1]), h
            continue
        kept.append((rel, size[0] * size[1]))
        hashes.append(h)
    src_path = os.path.join(HERE, 'sources.json')
    src = json.load(open(src_path))
    version = open(os.path.join(args.debs, 'versions.txt')).read()
    src['packages'][PKG] = re.search(rf'Package: {PKG}\nVersion: (\S+)', version).group(1)
    src['photo'] = [p for p in src['photo'] if p[0] != PKG]
    for rel, _ in sorted(kept):
        who, lic = licence(stz, rel) or ('GCompris developers', 'GPL-3+')
        src['photo'].append([PKG, rel, who, lic])
    with open(src_path, 'w') as f:  # one source per line, as the file was written by hand
        f.write('{\n' + ',\n'.join(f'  {json.dumps(k)}: ' + (
            '[\n' + ',\n'.join('    ' + json.dumps(e, ensure_ascii=False) for e in v) + '\n  ]' if isinstance(v, list)
            else json.dumps(v, indent=2, ensure_ascii=False).replace('\n', '\n  ')) for k, v in src.items()) + '\n}\n')
    print(f'{len(found)} found, {len(kept)} kept; {len(src["photo"])} photos in sources.json')


if __name__ == '__main__':
    main()
