#!/usr/bin/env bash
# Prints the pinned lines of requirements.txt for the packages in sandbox_image/packages.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
names=$(grep -v '^#' sandbox_image/packages.txt | grep -v '^$' | paste -sd'|')
grep -E "^($names)==" requirements.txt
