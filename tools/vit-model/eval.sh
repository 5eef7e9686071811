#!/usr/bin/env bash
# histoscan and its peers on the ViT (after tools/vit-model/build.py): one half of every test folder.
#
#   bash tools/vit-model/eval.sh test                 # docs/evaluation.md's table (test halves)
#   bash tools/vit-model/eval.sh dev --layers A,B     # a variant on the dev halves; extra flags go to eval
set -euo pipefail
cd "$(dirname "$0")/../.."
half="${1:?usage: eval.sh dev|test [eval flags]}"
shift
V=.cache/vit-model
npx histoscan eval --model $V/model.onnx --spec $V/model.json --split "$half" \
  --background data/background --calibration data/calibration --clean data/clean \
  --anomalous fgsm-0.05=$V/sets/fgsm-0.05 --anomalous fgsm-0.1=$V/sets/fgsm-0.1 \
  --anomalous pgd-0.05=$V/sets/pgd-0.05 --anomalous pgd-0.1=$V/sets/pgd-0.1 \
  --anomalous synthesized=data/synth --anomalous mnist-digits=data/ood-mnist \
  --methods histogram,mahalanobis,knn,msp,energy "$@"
