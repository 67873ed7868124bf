#!/usr/bin/env bash
# Vendor the operator console's JavaScript (no CDN, no Node build step) into
# edge/ui/static/vendor/ from the npm registry, at the pinned versions below:
#   htmx.org  dist/htmx.min.js                              + LICENSE
#   uplot     dist/uPlot.iife.min.js, dist/uPlot.min.css    + LICENSE
# Each tarball's sha512 is checked against the registry's dist.integrity before anything is
# extracted; MANIFEST.json records package, version, SPDX licence, tarball path, the tarball
# integrity and the sha256 of every vendored file (tests/unit/test_vendor_js.py checks them).
# Re-runnable: the vendor directory is rebuilt from scratch each time.
# Needs npm (registry access) and python3. Run from anywhere: bash scripts/vendor_js.sh
set -euo pipefail
cd "$(dirname "$0")/.."

HTMX_VERSION=2.0.4
UPLOT_VERSION=1.6.31

VENDOR=edge/ui/static/vendor

# package|version|"<path in tarball>:<vendored name>" ...
SPECS=(
  "htmx.org|$HTMX_VERSION|package/dist/htmx.min.js:htmx.min.js package/LICENSE:LICENSE.htmx"
  "uplot|$UPLOT_VERSION|package/dist/uPlot.iife.min.js:uPlot.iife.min.js package/dist/uPlot.min.css:uPlot.min.css package/LICENSE:LICENSE.uplot"
)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage="$work/vendor"
mkdir -p "$stage"
entries="$work/entries.tsv"   # file, package, version, licence, source, integrity
: >"$entries"

for spec in "${SPECS[@]}"; do
  IFS='|' read -r pkg ver files <<<"$spec"
  expected=$(npm view "$pkg@$ver" dist.integrity)
  case "$expected" in
    sha512-*) ;;
    *) echo "$pkg@$ver: registry gave no sha512 integrity (got '$expected')" >&2; exit 1 ;;
  esac
  dest="$work/$pkg"
  mkdir -p "$dest"
  tarball=$(npm pack "$pkg@$ver" --pack-destination "$dest" --silent | tail -n 1)
  tarball="$dest/$tarball"
  actual=$(python3 -c 'import base64, hashlib, sys
print("sha512-" + base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())
' "$tarball")
  if [ "$actual" != "$expected" ]; then
    echo "$pkg@$ver: tarball integrity mismatch" >&2
    echo "  registry: $expected" >&2
    echo "  tarball:  $actual" >&2
    exit 1
  fi
  echo "$pkg@$ver: integrity ok ($expected)"

  paths=(package/package.json)
  for f in $files; do paths+=("${f%%:*}"); done
  tar -xzf "$tarball" -C "$dest" "${paths[@]}"
  read -r got_ver licence < <(python3 -c 'import json, sys
meta = json.load(open(sys.argv[1]))
print(meta["version"], meta["license"])
' "$dest/package/package.json")
  if [ "$got_ver" != "$ver" ]; then
    echo "$pkg@$ver: package.json says version $got_ver" >&2
    exit 1
  fi
  for f in $files; do
    src=${f%%:*}
    name=${f##*:}
    test -s "$dest/$src" || { echo "$pkg@$ver: $src missing or empty" >&2; exit 1; }
    cp "$dest/$src" "$stage/$name"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$pkg" "$ver" "$licence" \
      "npm:$pkg@$ver:$src" "$expected" >>"$entries"
  done
done

python3 - "$entries" "$stage" <<'PY'
import hashlib
import json
import sys
from pathlib import Path

entries, stage = Path(sys.argv[1]), Path(sys.argv[2])
manifest = []
for line in entries.read_text().splitlines():
    name, package, version, licence, source, integrity = line.split("\t")
    manifest.append(
        {
            "file": name,
            "package": package,
            "version": version,
            "licence": licence,
            "source": source,
            "tarball_sha512": integrity,
            "sha256": hashlib.sha256((stage / name).read_bytes()).hexdigest(),
        }
    )
(stage / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n")
PY

rm -rf "$VENDOR"
mkdir -p "$(dirname "$VENDOR")"
cp -r "$stage" "$VENDOR"
echo "vendored into $VENDOR:"
ls -l "$VENDOR"
