#!/usr/bin/env bash
# histoscan and its peers on the text-line model (after tools/textline-model/build.py): one half of every set.
#
#   bash tools/textline-model/eval.sh test                 # docs/evaluation.md's table (test halves)
#   bash tools/textline-model/eval.sh dev --parts-out P    # the dev halves; extra flags go to eval
set -euo pipefail
cd "$(dirname "$0")/../.."
half="${1:?usage: eval.sh dev|test [eval flags]}"
shift
T=.cache/textline-model
S=$T/sets
npx histoscan eval --model $T/model.onnx --spec $T/model.json --split "$half" \
  --background $S/background --calibration $S/calibration --clean $S/clean \
  --anomalous photo=$S/photo --anomalous noise=$S/noise --anomalous script=$S/script --anomalous scribble=$S/scribble \
  --anomalous blank=$S/blank --anomalous fgsm-4=$S/fgsm-4 --anomalous fgsm-8=$S/fgsm-8 \
  --methods histogram,mahalanobis,knn,msp,energy "$@"
