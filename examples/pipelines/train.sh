#!/bin/bash
# A toy "training": reads its input (if any), writes a model file. No framework needed.
set -euo pipefail
mkdir -p "$KAIRR_WORKDIR"
{
  echo "model trained by ${KAIRR_PIPELINE_ID}/${KAIRR_STAGE_ID} attempt ${KAIRR_ATTEMPT} on $(hostname)"
  if [ -n "${KAIRR_INPUT_DATA:-}" ]; then echo "trained on: $(find "$KAIRR_INPUT_DATA" -type f | wc -l) files"; fi
  for i in $(seq 1 16); do echo "w$i=$RANDOM"; done
} > "$KAIRR_WORKDIR/model.pt"
echo "wrote $KAIRR_WORKDIR/model.pt"
