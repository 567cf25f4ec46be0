#!/usr/bin/env bash
# Installs what building and testing the SFU needs, and only what is missing.
# Idempotent and non-interactive; run as root (CI runs it as root on a fresh machine).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

APT_PACKAGES=(
  libnice-dev libsrtp2-dev libssl-dev libopus-dev pkg-config
  iproute2 nftables procps
  chromium chromium-driver
  firefox-esr
  coturn openssl
  janus
)
PIP_PACKAGES=(aiortc selenium pytest numpy websockets pyjwt)

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: must run as root (try: sudo bash scripts/install-deps.sh)" >&2
  exit 1
fi

missing_apt=()
for p in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing_apt+=("$p")
  fi
done
if [ "${#missing_apt[@]}" -gt 0 ]; then
  echo "install-deps: apt: ${missing_apt[*]}"
  # coturn and janus ship system services: none may start on this machine (the tests and
  # benchmarks run their own, inside network namespaces). policy-rc.d (exit 101) tells the
  # packages' scripts not to start them.
  made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    made_policy=1
  fi
  apt-get update -qq
  apt-get install -y -qq "${missing_apt[@]}" >/dev/null
  [ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    systemctl disable --now janus coturn >/dev/null 2>&1 || true
  fi
fi

missing_pip=()
for p in "${PIP_PACKAGES[@]}"; do
  if ! python3 -m pip show -q "$p" >/dev/null 2>&1; then
    missing_pip+=("$p")
  fi
done
if [ "${#missing_pip[@]}" -gt 0 ]; then
  echo "install-deps: pip: ${missing_pip[*]}"
  python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore "${missing_pip[@]}"
fi

# Fail loudly now rather than in the middle of a test run.
for lib in nice libsrtp2 openssl opus; do
  pkg-config --exists "$lib" || { echo "install-deps: pkg-config cannot find $lib" >&2; exit 1; }
done
for cmd in ip nft chromium chromedriver firefox-esr turnutils_uclient turnutils_peer turnutils_stunclient turnserver openssl janus; do
  command -v "$cmd" >/dev/null || { echo "install-deps: $cmd not on PATH" >&2; exit 1; }
done
python3 -c 'import aiortc, selenium, pytest, numpy, websockets, jwt' || { echo "install-deps: python modules missing" >&2; exit 1; }
echo "install-deps: ok"
