#!/bin/sh
# Install the TeX engine symgrad's PDF reports need (latexmk + TeX Live from
# Debian's packages), unless it is already there.  Without root or sudo it
# says how to install it and carries on: reports then come out as .tex files.
set -e
PACKAGES="latexmk texlive-latex-base texlive-latex-recommended texlive-pictures poppler-utils"
if command -v latexmk >/dev/null 2>&1 && command -v pdflatex >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 \
   && kpsewhich tikz.sty >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-tex: no apt-get here; install latexmk and TeX Live (with TikZ) to get PDF reports" >&2
  exit 0
fi
if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
  echo "install-tex: run as root (or install sudo) to install: $PACKAGES" >&2
  exit 0
fi
echo "install-tex: installing $PACKAGES (a few minutes)"
# apt's notes (debconf's "delaying package configuration") are shown only when the install fails
log=$(mktemp)
if ! { $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive \
       apt-get install -y -qq --no-install-recommends $PACKAGES; } >"$log" 2>&1; then
  cat "$log" >&2; rm -f "$log"; exit 1
fi
rm -f "$log"
