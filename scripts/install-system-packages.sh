#!/usr/bin/env bash
# Install the Debian packages onemap needs, when missing. Idempotent; needs root to install.
set -euo pipefail

PG_MAJOR=${PG_MAJOR:-15}
missing=()
[ -x "/usr/lib/postgresql/$PG_MAJOR/bin/initdb" ] || missing+=("postgresql-$PG_MAJOR")
[ -f "/usr/share/postgresql/$PG_MAJOR/extension/postgis.control" ] || missing+=("postgresql-$PG_MAJOR-postgis-3")
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
command -v runuser >/dev/null 2>&1 || missing+=(util-linux)
# Headless browser for the test of the one-map page.
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# ogr2ogr / ogrinfo: the import benchmark and the OGC API client tests.
command -v ogr2ogr >/dev/null 2>&1 || missing+=(gdal-bin)
# libarchive: survey deliveries packed as .7z, .rar or .tar (read through the libarchive-c package).
dpkg-query -W -f='${Status}' libarchive13 2>/dev/null | grep -q 'ok installed' || missing+=(libarchive13)
if ! python3 -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
   && ! command -v python3.11 >/dev/null 2>&1; then
  missing+=(python3 python3-venv python3-dev)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "onemap needs these Debian packages: ${missing[*]}" >&2
  echo "install them as root: apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian postgresql package creates and starts a "main" cluster; onemap runs its own.
if command -v pg_ctlcluster >/dev/null 2>&1 && pg_lsclusters -h 2>/dev/null | grep -q "^$PG_MAJOR main .* online"; then
  pg_ctlcluster "$PG_MAJOR" main stop || true
fi
