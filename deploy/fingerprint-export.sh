#!/bin/sh
# Usage: fingerprint-export EXPORT_DIR
# Makes a Godot web export cacheable forever: every file but index.html moves into
# v/<content hash>/, index.html gets <base href="/v/<hash>/"> so its relative URLs (engine script,
# .wasm, .pck, icons) resolve there, and each text/binary asset gets a gzip twin for gzip_static.
# A new export has a new hash, so clients never mix files of two releases. POSIX sh + busybox.
set -eu

root=${1:?usage: fingerprint-export EXPORT_DIR}
cd "$root"
[ -s index.html ] || { echo "fingerprint-export: no index.html in $root" >&2; exit 1; }
if grep -qi '<base[ >]' index.html; then
  echo "fingerprint-export: index.html already has a <base> element" >&2
  exit 1
fi
if [ -e v ]; then
  echo "fingerprint-export: $root/v exists; already fingerprinted?" >&2
  exit 1
fi

hash=$(find . -type f ! -path ./index.html -exec sha256sum {} + \
  | LC_ALL=C sort -k 2 | sha256sum | cut -c 1-16)
assets="v/$hash"
mkdir -p "$assets"
for entry in ./* ./.[!.]*; do
  [ -e "$entry" ] || continue
  case "$entry" in
    ./index.html | ./v) ;;
    *) mv "$entry" "$assets/" ;;
  esac
done

base="<base href=\"/$assets/\">"
sed -i -e "s#<head>#<head>$base#" -e "s#<head \([^>]*\)>#<head \1>$base#" index.html
if ! grep -qF "$base" index.html; then
  echo "fingerprint-export: index.html has no <head> to put $base in" >&2
  exit 1
fi

find . -type f \( -name '*.html' -o -name '*.js' -o -name '*.wasm' -o -name '*.pck' \
  -o -name '*.json' -o -name '*.svg' -o -name '*.css' \) | while read -r file; do
  gzip -9 -c "$file" > "$file.gz"
done
echo "fingerprint-export: assets in /$assets/"
