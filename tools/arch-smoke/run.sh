#!/usr/bin/env bash
# Architecture smoke test: torchvision models with random weights through inspect -> profile -> score,
# with no flag, on 40 background, 20 calibration and 10 clean images of data/ (upscaled to 224x224).
# Prints a markdown table: the plan the default budget chose, the profile's bytes, build time and peak memory.
#
#   bash tools/arch-smoke/run.sh [NAME...]     (default: the architectures below; about 20 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=.cache/arch-smoke
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(squeezenet1_1 mobilenet_v3_small shufflenet_v2_x1_0 efficientnet_b0 regnet_y_400mf resnet18 densenet121 convnext_tiny swin_t vit_b_16 mobilenet_v2 mnasnet1_0 googlenet maxvit_t resnext50_32x4d)
mkdir -p $OUT/bg $OUT/cal $OUT/clean
pick() { ls "data/$1" | sed -n "1,$2p" | while read -r f; do cp -n "data/$1/$f" "$3/"; done; }
pick background 40 $OUT/bg; pick calibration 20 $OUT/cal; pick clean 10 $OUT/clean
echo "| architecture | layers | nodes | reductions | profile bytes | build s | build peak RSS | scored |"
echo "|---|---:|---:|---|---:|---:|---:|---:|"
for m in "${names[@]}"; do
  [ -f $OUT/$m.onnx ] || OMP_NUM_THREADS=2 /usr/bin/python3 tools/arch-smoke/export.py $OUT "$m" > /dev/null 2>&1
  /usr/bin/time -f '%e %M' -o $OUT/$m.time npx histoscan profile --model $OUT/$m.onnx --images $OUT/bg --calibration $OUT/cal --out $OUT/$m.hsp > $OUT/$m.profile 2>&1
  wrote=$(grep '^wrote' $OUT/$m.profile)
  layers=$(sed -E 's/.* nodes in ([0-9]+) layers.*/\1/' <<< "$wrote")
  nodes=$(sed -E 's/^wrote [^:]+: ([0-9,]+) nodes.*/\1/' <<< "$wrote")
  kinds=$(sed -E 's/.*layers \(([^)]*)\).*/\1/' <<< "$wrote" | tr -d ' ' | tr ',' '\n' | sort | uniq -c | awk '{printf "%s%s %s", (NR>1?", ":""), $1, $2}')
  read -r secs kb < $OUT/$m.time
  scored=$(npx histoscan score --model $OUT/$m.onnx --profile $OUT/$m.hsp --json $OUT/clean 2>/dev/null | grep -c '"verdict"' || true)
  printf '| %s | %s | %s | %s | %s | %.1f | %.2f GB | %s of 10 |\n' "$m" "$layers" "$nodes" "$kinds" "$(stat -c %s $OUT/$m.hsp)" "$secs" "$(echo "$kb / 1048576" | bc -l)" "$scored"
done
