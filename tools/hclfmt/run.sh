#!/usr/bin/env bash
# Checks the pinned Terraform snapshots with hclwrite's formatter (what `terraform fmt` runs).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [ ! -d "$here/node_modules/@cdktf/hcl-tools" ]; then
  (cd "$here" && npm install --no-package-lock --no-audit --no-fund --loglevel=error)
fi
node "$here/check.mjs" "$root"/crates/model/tests/snapshots/*.tf
