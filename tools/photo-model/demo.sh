#!/usr/bin/env bash
# Put the photo model on the demo page: its model, spec and profile into public/models/extra/photo-model/
# (ignored by git), where the page's model choice finds them. The weights' upstream states no licence, so
# this project does not ship them; each user builds them here.
#
#   bash tools/photo-model/demo.sh     builds what is missing (build.sh: ~15 min; the profile: ~2 min), then copies
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT="${PHOTO_MODEL_OUT:-.cache/photo-model}"
P="$OUT/sets"
DEST=public/models/extra/photo-model
[ -f "$OUT/model.onnx" ] && [ -d "$P/background" ] && [ -d "$P/calibration" ] || bash tools/photo-model/build.sh
[ -d node_modules/onnxruntime-web ] || npm ci --no-audit --no-fund
if [ ! -f "$OUT/profile.hsp" ]; then
  npx histoscan profile --model "$OUT/model.onnx" --spec "$OUT/model.json" \
    --images "$P/background" --calibration "$P/calibration" --out "$OUT/profile.hsp"
fi
mkdir -p "$DEST"
cp "$OUT/model.onnx" "$OUT/model.json" "$OUT/profile.hsp" "$DEST/"
echo "photo model on the demo page: $(du -sh "$DEST" | cut -f1) in $DEST; npm start, then choose it under Model"
