#!/usr/bin/env bash
# Regenerate the PDF and DOCX files of the quick-start corpus from their
# sources with LibreOffice:
#
#   src/pdf/*.html|*.fodt   ->  docs/<name>.pdf
#   src/docx/*.html|*.fodt  ->  docs/<name>.docx
#
# The Markdown, HTML and TXT documents in docs/ are edited by hand and are not
# touched. Running the script again simply overwrites the generated files.
#
# Usage: examples/quickstart/make-docs.sh   (from any directory)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$here/src"
out="$here/docs"

die() { echo "make-docs: $*" >&2; exit 1; }

# --- prerequisites -----------------------------------------------------------

missing=()
lo=""
if command -v libreoffice >/dev/null 2>&1; then
  lo=libreoffice
elif command -v soffice >/dev/null 2>&1; then
  lo=soffice
else
  missing+=(libreoffice-writer)
fi
if ! command -v fc-list >/dev/null 2>&1 || [ -z "$(fc-list :lang=zh-cn family 2>/dev/null)" ]; then
  missing+=(fonts-noto-cjk)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "make-docs: missing prerequisites: ${missing[*]}" >&2
  echo "make-docs: on Debian/Ubuntu install them with:" >&2
  echo "    sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  echo "make-docs: (poppler-utils is optional; it adds a check that the PDFs contain text)" >&2
  exit 1
fi

# --- conversion --------------------------------------------------------------

# A private LibreOffice profile keeps the run independent of any running
# LibreOffice instance and of the user's settings.
work="$(mktemp -d "${TMPDIR:-/tmp}/make-docs.XXXXXX")"
trap 'rm -rf "$work"' EXIT
profile="file://$work/profile"

# run_lo ARGS...: run LibreOffice headless with the private profile.
run_lo() {
  "$lo" -env:UserInstallation="$profile" --headless --norestore "$@" \
    >"$work/lo.log" 2>&1 || { cat "$work/lo.log" >&2; return 1; }
}

# convert SOURCE TARGET_EXT FILTER
convert() {
  local source="$1" ext="$2" filter="$3"
  local name base input infilter=()
  name="$(basename "$source")"
  base="${name%.*}"
  rm -rf "$work/out" "$work/mid" && mkdir -p "$work/out" "$work/mid"
  input="$source"
  case "$name" in
    *.html|*.htm)
      # Open HTML in Writer proper (not Writer/Web), which can export DOCX.
      infilter=(--infilter="HTML (StarWriter)")
      if [ "$ext" = pdf ]; then
        # Go through an intermediate .fodt so that Writer's automatic extra
        # spacing between Chinese characters and Latin letters/digits can be
        # switched off: PDF text extractors turn that gap into a space
        # ("15 天" instead of "15天").
        run_lo "${infilter[@]}" --convert-to fodt --outdir "$work/mid" "$source" \
          || die "conversion failed: $source"
        input="$work/mid/$base.fodt"
        [ -s "$input" ] || die "no intermediate output for $source"
        infilter=()
      fi
      ;;
    *.fodt) ;;
    *) die "unsupported source type: $source" ;;
  esac
  if [ "$ext" = pdf ] && [ "${input##*.}" = fodt ]; then
    if [ "$input" = "$source" ]; then
      cp "$source" "$work/mid/$base.fodt"
      input="$work/mid/$base.fodt"
    fi
    sed -i 's/style:text-autospace="ideograph-alpha"/style:text-autospace="none"/g' "$input"
  fi
  run_lo "${infilter[@]}" --convert-to "$filter" --outdir "$work/out" "$input" \
    || die "conversion failed: $source"
  [ -s "$work/out/$base.$ext" ] || { cat "$work/lo.log" >&2; die "no output for $source"; }
  mv -f "$work/out/$base.$ext" "$out/$base.$ext"
  echo "  ${source#"$here"/} -> ${out#"$here"/}/$base.$ext"
}

mkdir -p "$out"
shopt -s nullglob
pdf_sources=("$src"/pdf/*.html "$src"/pdf/*.fodt)
docx_sources=("$src"/docx/*.html "$src"/docx/*.fodt)
[ "${#pdf_sources[@]}" -gt 0 ] || die "no sources in $src/pdf"
[ "${#docx_sources[@]}" -gt 0 ] || die "no sources in $src/docx"

echo "make-docs: converting with $("$lo" --version 2>/dev/null | head -n 1)"
for f in "${pdf_sources[@]}"; do convert "$f" pdf pdf; done
for f in "${docx_sources[@]}"; do convert "$f" docx 'docx:MS Word 2007 XML'; done

# --- checks ------------------------------------------------------------------

for f in "${pdf_sources[@]}"; do
  pdf="$out/$(basename "${f%.*}").pdf"
  if command -v pdftotext >/dev/null 2>&1 && command -v pdfinfo >/dev/null 2>&1; then
    chars="$(pdftotext -enc UTF-8 "$pdf" - | tr -d '[:space:]' | wc -m)"
    pages="$(pdfinfo "$pdf" | awk '/^Pages:/ {print $2}')"
    [ "$chars" -gt 200 ] || die "$pdf has no extractable text"
    echo "  check: $(basename "$pdf"): $pages page(s), $chars characters of text"
  fi
done
for f in "${docx_sources[@]}"; do
  docx="$out/$(basename "${f%.*}").docx"
  if command -v unzip >/dev/null 2>&1; then
    xml="$(unzip -p "$docx" word/document.xml)"
    case "$xml" in *'<w:t'*) ;; *) die "$docx has no text" ;; esac
    tables="$({ grep -o '<w:tbl>' <<<"$xml" || true; } | wc -l)"
    echo "  check: $(basename "$docx"): $tables table(s)"
  fi
done

echo "make-docs: done; docs/ is $(du -sh "$out" | cut -f1)"
