#!/usr/bin/env bash
# Optional system packages that pip cannot provide. Installed through apt when running as root
# and apt is available; otherwise skipped with a message. The service runs without them.
set -u
# Tesseract language data beyond English (OCR of German, French, Spanish, Italian, Dutch and
# Portuguese documents); English ships with the pip package.
packages=(tesseract-ocr-deu tesseract-ocr-fra tesseract-ocr-spa tesseract-ocr-ita tesseract-ocr-nld tesseract-ocr-por)
missing=()
for pkg in "${packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "note: optional system packages not installed (need root and apt): ${missing[*]}" >&2
  exit 0
fi
echo "installing optional system packages: ${missing[*]}" >&2
(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >/dev/null 2>&1 \
  || echo "note: could not install ${missing[*]}; continuing without them" >&2
exit 0
