#!/usr/bin/env bash
# Runs the SFU with its defaults in development mode: installs the C libraries it builds on if
# they are missing (Debian packages; needs root for that step), builds in release mode, and
# starts `sfu serve --dev` on http://127.0.0.1:8080 (signaling, demo page, media ports
# 50000-50999). Extra arguments go to `sfu serve`, e.g. --bind, --public-address, --port.
#   bash scripts/run-dev.sh            (as root, or with the packages already installed)
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(libnice-dev libsrtp2-dev libssl-dev libopus-dev pkg-config)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "run-dev: missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

swift build -c release --product sfu
exec .build/release/sfu serve --dev "$@"
