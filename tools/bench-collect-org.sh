#!/usr/bin/env bash
# The organization-collection benchmark: `collect --org` against moto (behind
# tools/moto-org.py, which refuses AssumeRole as AWS does) with a management account and
# ACCOUNTS members in two OUs (one without the member role), each with a bucket of three
# objects, the backup role, and the seed's denials in two. Times the collection with
# hyperfine at --concurrency 1 and 8, three runs each.
# Usage: tools/bench-collect-org.sh [ACCOUNTS] [WORK_DIR]
# The binary: VAULTWARD_BIN, else a release build; moto: VAULTWARD_MOTO_SERVER's venv, else
# the workspace's .venv (scripts/test installs it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
accounts=${1:-50}
work=${2:-$(mktemp -d)}
if [ -z "${VAULTWARD_BIN:-}" ]; then
  cargo build --release -q -p vaultward --manifest-path "$root/Cargo.toml"
fi
bin=${VAULTWARD_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/vaultward}
moto=${VAULTWARD_MOTO_SERVER:-$root/.venv/bin/moto_server}
python=$(dirname "$moto")/python
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$python" "$root/tools/moto-org.py" serve "$port" >"$work/moto.log" 2>&1 &
server=$!
trap 'kill $server' EXIT
until python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null; do sleep 0.2; done
endpoint=http://127.0.0.1:$port
/usr/bin/time -f 'populate: wall %e s' "$python" "$root/tools/moto-org.py" populate "$endpoint" "$accounts" 2 "$bin" bench-ext >"$work/org.json"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 \
  AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent AWS_EC2_METADATA_DISABLED=true
collect="$bin collect --org --member-role /vaultward/VaultwardInventoryRole --external-id bench-ext \
  --endpoint-url $endpoint --region us-east-1 --objects sample:1000 --quiet --out $work/org"
hyperfine --runs 3 --prepare "rm -rf $work/org" --parameter-list concurrency 1,8 \
  --export-markdown "$work/collect-org.md" "$collect --concurrency {concurrency}"
/usr/bin/time -f 'one run at --concurrency 8: wall %e s, peak memory %M KB' $collect --concurrency 8
python3 -c "
import json; o = json.load(open('$work/org/organization.json'))
print(len(o['accounts']), 'accounts,', sum(1 for a in o['accounts'] if a.get('snapshot')), 'collected,', len(o['policies']), 'policies')"
"$bin" check "$work/org" --role /vaultward/VaultwardBackupRole --format json --out "$work/report.json" || true
python3 -c "import json; r = json.load(open('$work/report.json')); print('check:', r['status'], len(r['groups']), 'groups')"
