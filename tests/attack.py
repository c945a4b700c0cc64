"""Run many CLI attacks in one Python process: each is main(argv) with its output captured.

The subprocess boundary is not what these cases test, so one interpreter runs them all (a fresh
one per case would cost 0.4 s each). For every case it records the exit status, stderr, whether a
traceback escaped, and whether any file under the working folder changed (SHA-256 before and after).
"""

import json
import os
import subprocess
import sys

RUNNER = r"""
import contextlib, hashlib, io, json, os, sys, traceback
from backprop.cli import main

def snapshot():
    seen = {}
    for root, dirs, files in os.walk("."):
        for name in files:
            path = os.path.join(root, name)
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as f:
                    seen[path] = hashlib.sha256(f.read()).hexdigest()
            else:
                seen[path] = "special"
        seen.update({os.path.join(root, d): "dir" for d in dirs})
    return seen

results = []
for argv in json.load(sys.stdin):
    before = snapshot()
    err, out = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            rc = main(argv)
    except SystemExit as exc:
        rc = exc.code
    except BaseException:
        rc, err = "crash", io.StringIO(err.getvalue() + traceback.format_exc())
    after = snapshot()
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    results.append({"argv": argv, "rc": rc, "stderr": err.getvalue(), "changed": changed})
json.dump(results, sys.stdout)
"""


def run_attacks(argvs, cwd, timeout=300):
    """[{argv, rc, stderr, changed}] for each argv, run in one subprocess in cwd."""
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER],
        input=json.dumps([list(map(str, a)) for a in argvs]),
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def assert_refused(result, message):
    """Exit 2, one line 'error: ...' holding message, no traceback, no file changed."""
    lines = result["stderr"].strip().splitlines()
    assert result["rc"] == 2, result
    assert len(lines) == 1 and lines[0].startswith("error: "), result["stderr"]
    assert message in lines[0], (message, lines[0])
    assert "Traceback" not in result["stderr"]
    assert result["changed"] == [], result["changed"]
