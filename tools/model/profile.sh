#!/usr/bin/env bash
# Rebuild the committed default profile from the default model's background and calibration sets.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p public/profiles
npx histoscan profile --model public/models/fashion-cnn.onnx \
  --images data/background --calibration data/calibration \
  --out public/profiles/fashion-cnn.hsp "$@"
