#!/usr/bin/env bash
# Prints the path of the README's demo photo, fetching it first if needed:
# scikit-image's public-domain `astronaut.png` (NASA photo of Eileen Collins),
# extracted from Debian's python3-skimage package without installing it or its
# dependencies. The project commits no photo it did not make.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/build/demo/astronaut.png"
if [ ! -s "$dest" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && apt-get download python3-skimage >/dev/null)
  dpkg-deb --fsys-tarfile "$work"/python3-skimage_*.deb |
    tar -x -C "$work" ./usr/lib/python3/dist-packages/skimage/data/astronaut.png
  mkdir -p "$(dirname "$dest")"
  mv "$work/usr/lib/python3/dist-packages/skimage/data/astronaut.png" "$dest"
fi
echo "$dest"
