"""Run every benchmark script in turn (``make bench``), printing their outputs.

Exits non-zero if a script crashed; a missed goal is reported in the output, not an error.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ("ingest.py", "wire_formats.py", "speed.py", "pools.py", "route.py", "pages.py",
           "hostile.py", "probes.py", "scaleout.py", "open_data.py")
TIMEOUT_S = 600  # per script; a loaded 2-core machine needs the margin


def main() -> int:
    crashed = []
    summary = []
    for name in SCRIPTS:
        print(f"\n######## benchmarks/{name} ########", flush=True)
        started = time.perf_counter()
        try:
            proc = subprocess.Popen([sys.executable, "-u", str(HERE / name)], cwd=HERE.parent,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for line in proc.stdout:
                if "No directory at:" in line or "mw_instance = middleware" in line:
                    continue  # whitenoise: staticfiles/ not collected, irrelevant here
                print(line, end="", flush=True)
                if line.startswith("RESULT"):
                    summary.append(f"{name:10} {line[7:].rstrip()}")
            code = proc.wait(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = "timeout"
        print(f"######## {name}: exit {code} in {time.perf_counter() - started:.0f}s", flush=True)
        if code != 0:
            crashed.append(name)
    print("\n======== summary ========")
    print("\n".join(summary))
    if crashed:
        print(f"crashed: {', '.join(crashed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
