#!/usr/bin/env bash
# Install the Debian packages SafeLoop needs when they are missing.
#   system-deps.sh run   -> fonts and HarfBuzz subsetting for PDFs
#   system-deps.sh test  -> plus Chromium (browser tests) and poppler-utils (pdftotext)
set -euo pipefail
mode=${1:-run}
pkgs=(fonts-noto-cjk libharfbuzz-subset0)
if [ "$mode" = test ]; then
  pkgs+=(chromium poppler-utils)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing missing Debian packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "Cannot install ${missing[*]}: run as root or install them with apt-get." >&2
  exit 1
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
