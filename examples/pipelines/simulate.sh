#!/bin/bash
# A toy "simulation": writes a small field per time step.
set -euo pipefail
mkdir -p "$KAIRR_WORKDIR/out/fields"
for t in $(seq 0 9); do
  awk -v t="$t" 'BEGIN { for (x = 0; x < 32; x++) printf "%d,%d,%.4f\n", t, x, sin(x / 5.0 + t) }' > "$KAIRR_WORKDIR/out/fields/t$t.csv"
done
echo "wrote $(ls "$KAIRR_WORKDIR/out/fields" | wc -l) fields"
