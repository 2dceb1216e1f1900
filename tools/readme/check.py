#!/usr/bin/env python3
"""Runs every example command of README.md and checks the output excerpts it shows.

    tools/readme/check.py VAULTWARD_BINARY [AWS_CLI]

Rules (so that the README stays true):
- Each command of a ```sh block runs with bash in a scratch directory holding a copy of
  `examples/`, with `vaultward` on PATH as the binary under test. `cargo run --release -q
  -p vaultward --` is read as `vaultward` (the test does not build a second binary).
- A command exits 0 unless it ends with a comment `# exit N`.
- A ```text output block right after a ```sh block is an excerpt of the last command's
  standard output: each of its non-empty lines (other than `...`) must appear in it.
- `vaultward serve ... &` starts the service on a free port (its `--listen` address is
  replaced in the commands that follow) and stops it at the end; `export` lines set the
  environment of the commands that follow; `aws` is the AWS CLI given (from .venv).
- Not run, by name: `scripts/test` (the command that runs this check) and `cargo install`
  (it builds the same binary this check runs); everything else runs.
Synopses (with placeholders) go in ```text blocks, which are not run.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NOT_RUN = ("scripts/test", "cargo install ")


def blocks(text):
    """(info, body, line) of each fenced block, in order."""
    out, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        m = re.match(r"^```(\S.*)?$", lines[i])
        if m:
            info, start, body = (m.group(1) or "").strip(), i + 1, []
            i += 1
            while i < len(lines) and lines[i] != "```":
                body.append(lines[i])
                i += 1
            out.append((info, body, start))
        i += 1
    return out


def commands(body):
    """Logical command lines of a sh block (backslash continuations joined)."""
    cmds, cur = [], ""
    for line in body:
        if line.rstrip().endswith("\\"):
            cur += line.rstrip()[:-1] + " "
            continue
        cur += line
        if cur.strip() and not cur.strip().startswith("#"):
            cmds.append(cur.strip())
        cur = ""
    return cmds


def main():
    binary = os.path.abspath(sys.argv[1])
    aws = sys.argv[2] if len(sys.argv) > 2 else shutil.which("aws")
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    work = tempfile.mkdtemp(prefix="vaultward-readme-")
    shutil.copytree(os.path.join(ROOT, "examples"), os.path.join(work, "examples"))
    bindir = os.path.join(work, ".bin")
    os.mkdir(bindir)
    os.symlink(binary, os.path.join(bindir, "vaultward"))
    if aws:
        os.symlink(os.path.abspath(aws), os.path.join(bindir, "aws"))
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ["PATH"], SOURCE_DATE_EPOCH="1796205600")
    servers, addresses, failures, ran = [], {}, [], 0
    last_out, last_cmd = None, None
    try:
        for info, body, line in blocks(readme):
            if info == "text output":
                if last_out is None:
                    failures.append(f"README.md:{line}: an output block with no command before it")
                    continue
                for want in body:
                    w = want.rstrip()
                    if not w.strip() or w.strip() == "...":
                        continue
                    if not any(w.strip() in got for got in last_out.splitlines()):
                        failures.append(f"README.md:{line}: `{last_cmd}` did not print: {w.strip()}")
                continue
            if info != "sh":
                last_out = None
                continue
            for cmd in commands(body):
                if cmd.startswith(NOT_RUN):
                    print(f"not run (by rule): {cmd}")
                    continue
                m = re.search(r"#\s*exit\s+(\d+)\s*$", cmd)
                want_rc = int(m.group(1)) if m else 0
                cmd = re.sub(r"\s+#.*$", "", cmd)
                cmd = cmd.replace("cargo run --release -q -p vaultward --", "vaultward")
                if cmd.startswith("export "):
                    for k, v in re.findall(r"(\w+)=(\S+)", cmd[len("export "):]):
                        env[k] = v
                    continue
                if cmd.startswith("vaultward serve") and cmd.endswith("&"):
                    listen = re.search(r"--listen\s+(\S+)", cmd)
                    args = cmd[:-1].strip()
                    args = re.sub(r"--listen\s+\S+", "", args) + " --listen 127.0.0.1:0"
                    p = subprocess.Popen(["bash", "-c", "exec " + args], cwd=work, env=env,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                    first = p.stdout.readline()
                    got = re.match(r"listening on http://(\S+)", first)
                    if not got:
                        failures.append(f"README.md:{line}: `{cmd}` did not start: {first}{p.stderr.read() if p.poll() is not None else ''}")
                        p.kill()
                        continue
                    servers.append(p)
                    addresses[listen.group(1) if listen else "127.0.0.1:8080"] = got.group(1)
                    ran += 1
                    continue
                for said, actual in addresses.items():
                    cmd = cmd.replace(said, actual)
                p = subprocess.run(["bash", "-c", cmd], cwd=work, env=env, capture_output=True,
                                   text=True, timeout=300)
                ran += 1
                last_out, last_cmd = p.stdout, cmd
                if p.returncode != want_rc:
                    failures.append(f"README.md:{line}: `{cmd}` exited {p.returncode}, the README says {want_rc}\n{p.stdout[-1500:]}{p.stderr[-1500:]}")
                else:
                    print(f"ok (exit {want_rc}): {cmd}")
    finally:
        for p in servers:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print("\n".join(failures), file=sys.stderr)
        print(f"{len(failures)} README example(s) failed", file=sys.stderr)
        sys.exit(1)
    print(f"README: {ran} example commands ran as written")


if __name__ == "__main__":
    main()
