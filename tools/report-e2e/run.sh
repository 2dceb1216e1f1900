#!/usr/bin/env bash
# The reports as their users meet them: `check --format html` on the demo account in a real
# browser (Debian's chromium driven by playwright-core; screenshots kept in
# target/report-e2e/), and `check`, `audit` and `validate --format sarif` through the SARIF
# multitool's validation with its GitHub rules (what code scanning accepts).
#
#   tools/report-e2e/run.sh [VAULTWARD_BINARY]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$(cd "$(dirname "${1:-$root/target/debug/vaultward}")" && pwd)/$(basename "${1:-vaultward}")
out="$root/target/report-e2e"
mkdir -p "$out"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "the report tests need Node.js and npm (playwright-core, @microsoft/sarif-multitool): install them (apt-get install nodejs npm)" >&2
  exit 1
fi
if [ ! -d "$here/node_modules/playwright-core" ] || [ ! -d "$here/node_modules/@microsoft/sarif-multitool" ]; then
  (cd "$here" && npm install --no-package-lock --no-audit --no-fund --loglevel=error)
fi
chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  echo "chromium is not installed at $chromium (apt-get install chromium)" >&2
  exit 1
fi
role=arn:aws:iam::111122223333:role/vaultward/VaultwardBackupRole
export SOURCE_DATE_EPOCH=1796205600
cd "$root"
# The demo account blocks: exit 1 is the expected verdict, anything else fails.
expect_blocked() { set +e; "$@"; local rc=$?; set -e; [ "$rc" = 1 ] || { echo "expected exit 1 (blocked), got $rc: $*" >&2; exit 1; }; }
expect_blocked "$bin" check examples/demo-account.json --role "$role" --format html --out "$out/demo.html"
expect_blocked "$bin" check examples/demo-account.json --role "$role" --format sarif --out "$out/demo.sarif"
# The audit's SARIF with results: the demo account plus an over-privileged role.
python3 - "$out/risky-account.json" <<'PY'
import json, sys
d = json.load(open("examples/demo-account.json"))
d["iam"]["RoleDetailList"].append({
    "RoleName": "Deployer", "Path": "/", "Arn": "arn:aws:iam::111122223333:role/Deployer",
    "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
    "RolePolicyList": [{"PolicyName": "deploy", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances", "iam:PutRolePolicy", "s3:PutBucketPolicy"], "Resource": "*"}]}}],
    "AttachedManagedPolicies": []})
json.dump(d, open(sys.argv[1], "w"), indent=2)
PY
expect_blocked "$bin" audit "$out/risky-account.json" --role arn:aws:iam::111122223333:role/Deployer --format sarif --out "$out/audit.sarif"
python3 -c "import json,sys; n=len(json.load(open(sys.argv[1]))['runs'][0]['results']); assert n > 0, 'the audit found no path'; print(f'audit.sarif: {n} results')" "$out/audit.sarif"
# validate's SARIF: a rule per check of the table, results of Access Analyzer's checks.
cat > "$out/validate-policy.json" <<'JSON'
{"Version": "2012-10-17", "Statement": [
  {"Sid": "pass roles", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"},
  {"Effect": "Allow", "Action": ["s3:GetObject", "s3:Get*"], "Resource": "arn:aws:s3:us-east-1::b/k",
   "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}, "StringEqual": {"aws:username": "a"}}}
]}
JSON
expect_blocked "$bin" validate "$out/validate-policy.json" --kind identity --format sarif > "$out/validate.sarif"

echo "== HTML report in chromium"
node "$here/browser.mjs" "$out/demo.html" "$out"

echo "== SARIF: the multitool's SARIF and GitHub rules"
# The platform binary itself: the npm wrapper runs it through a shell, which would split
# "Sarif;Gh" at the semicolon.
mt="$here/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"
for f in demo audit validate; do
  "$mt" validate "$out/$f.sarif" --rule-kind "Sarif;Gh" --output "$out/$f.validation.sarif" --log ForceOverwrite >"$out/$f.validation.txt" 2>&1 || true
  # The multitool's own output is SARIF: any result of level error or warning fails.
  if ! python3 - "$out/$f.validation.sarif" <<'PY'
import json, sys
log = json.load(open(sys.argv[1]))
bad = [r for run in log.get("runs", []) for r in run.get("results", []) if r.get("level", "warning") in ("error", "warning")]
for r in bad:
    print(f'{r.get("ruleId")}: {r.get("message", {}).get("text") or r.get("message")}')
notifications = [n for run in log.get("runs", []) for inv in run.get("invocations", []) for n in inv.get("toolExecutionNotifications", []) if n.get("level") == "error"]
for n in notifications:
    print("tool error:", n.get("message", {}).get("text"))
sys.exit(1 if bad or notifications else 0)
PY
  then
    cat "$out/$f.validation.txt" >&2
    echo "the SARIF multitool rejects $out/$f.sarif" >&2
    exit 1
  fi
  echo "$f.sarif: accepted (SARIF and GitHub rules)"
done
