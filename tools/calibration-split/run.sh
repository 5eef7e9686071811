#!/usr/bin/env bash
# How the calibration split moves the verdict's false-positive rate (docs/cli.md, "The verdict and its calibration"): 1,000 background images of
# data/ named by the class the model gives them (as folders sorted by class list them), then profiles calibrated
#   spread: on every 5th image (what `profile` without --calibration and the page's build do),
#   last:   on the last 200 by name (what the page's build did before 0.4.2),
#   same:   on the background itself (`profile` and, from 0.4.23, `calibrate` leave such images out by their checksums:
#           this row drops the profile's checksums first, as a profile written before 0.4.23 holds none),
# and the share of 1,000 clean test images each flags at FPR 5%.
#
#   bash tools/calibration-split/run.sh        (about 2 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=.cache/calibration-split
MODEL=public/models/fashion-cnn.onnx
rm -rf $OUT && mkdir -p $OUT/all $OUT/head $OUT/tail
ls data/background | grep '\.png$' | sed -n 1,1000p | sed 's|^|data/background/|' > $OUT/list
npx histoscan score --model $MODEL --profile public/profiles/fashion-cnn.hsp --jsonl $(cat $OUT/list) 2>/dev/null > $OUT/classes.jsonl
node -e '
const fs = require("fs"), path = require("path"), out = process.argv[1];
const rows = fs.readFileSync(`${out}/classes.jsonl`, "utf8").trim().split("\n").map((l) => JSON.parse(l));
const named = rows.map((r) => [`${r.top.replace(/ [\d.]+%$/, "").replace(/\W+/g, "_")}-${path.basename(r.file)}`, r.file]).sort(([a], [b]) => (a < b ? -1 : 1));
named.forEach(([n, f], i) => { fs.copyFileSync(f, `${out}/all/${n}`); fs.copyFileSync(f, `${out}/${i < 800 ? "head" : "tail"}/${n}`); });
' $OUT
flagged() { npx histoscan score --model $MODEL --profile $1 --jsonl data/clean 2>/dev/null | node -e '
const r = require("fs").readFileSync(0, "utf8").trim().split("\n").map((l) => JSON.parse(l));
const f = r.filter((x) => x.flagged).length; console.log(`${process.argv[1]}: ${f} of ${r.length} clean images flagged (${(100 * f / r.length).toFixed(1)}%)`);' $2; }
npx histoscan profile --model $MODEL --images $OUT/all --out $OUT/spread.hsp 2> /dev/null && flagged $OUT/spread.hsp spread
npx histoscan profile --model $MODEL --images $OUT/head --calibration $OUT/tail --out $OUT/last.hsp 2> /dev/null && flagged $OUT/last.hsp last
npx histoscan profile --model $MODEL --images $OUT/all --no-calibration --out $OUT/none.hsp 2> /dev/null
npx tsx --eval "import { readFileSync, writeFileSync } from 'node:fs'; import { decodeProfile, encodeProfile } from './src/core/index.ts';
const p = decodeProfile(new Uint8Array(readFileSync('$OUT/none.hsp'))); delete p.header.pixelKeys; writeFileSync('$OUT/unkeyed.hsp', encodeProfile(p));"
npx histoscan calibrate --model $MODEL --profile $OUT/unkeyed.hsp --images $OUT/all --out $OUT/same.hsp 2> /dev/null && flagged $OUT/same.hsp same
