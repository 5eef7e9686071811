#!/usr/bin/env bash
# histoscan and its peers on the digits model (after tools/digits-model/build.py): one half of every test folder.
# A validation model: no default was chosen on it.
#
#   bash tools/digits-model/eval.sh test                             # test halves, penultimate-layer peers
#   bash tools/digits-model/eval.sh test --peer-features channel-means   # the all-layer peers
set -euo pipefail
cd "$(dirname "$0")/../.."
half="${1:?usage: eval.sh dev|test [eval flags]}"
shift
D=.cache/digits
A=()
for s in fgsm-0.02 pgd-0.02 fgsm-0.05 pgd-0.05 fgsm-0.1 pgd-0.1 synth fashion; do A+=(--anomalous "$s=$D/$s"); done
npx histoscan eval --model $D/digits-cnn.onnx --spec $D/digits-cnn.json --split "$half" \
  --background $D/background --calibration $D/calibration --clean $D/clean "${A[@]}" \
  --methods histogram,mahalanobis,knn,msp,energy "$@"
