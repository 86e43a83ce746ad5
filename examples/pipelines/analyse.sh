#!/bin/bash
# A toy "scientific analysis" of a model: checksums and line counts of what it was given.
set -euo pipefail
mkdir -p "$KAIRR_WORKDIR/analysis"
find "$KAIRR_INPUT_MODEL" -type f -exec sha256sum {} + > "$KAIRR_WORKDIR/analysis/inputs.sha256"
wc -l "$KAIRR_WORKDIR/analysis/inputs.sha256" > "$KAIRR_WORKDIR/analysis/summary.txt"
cat "$KAIRR_WORKDIR/analysis/summary.txt"
