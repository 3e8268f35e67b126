"""wrk (Debian's `wrk`) over a fixed list of request paths: requests/s and p50/p99 latency.

The benchmarks use it for concurrent HTTP load because it spends a few microseconds of CPU per
request: a Python client on this 2-core machine would take a core from the server it measures."""

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

_SCRIPT = """
paths = {%s}
i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1], {%s})
end
"""
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(
    base: str, paths: list[str], seconds: float, clients: int, *, threads: int = 1,
    headers: dict[str, str] | None = None,
) -> tuple[float, float, float]:
    """Requests/s, p50 and p99 (ms) of `clients` keep-alive connections cycling through `paths`."""
    header_lua = ", ".join(f'["{k}"] = "{v}"' for k, v in (headers or {}).items())
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_SCRIPT % (", ".join(f'"{p}"' for p in paths), header_lua))
    duration = f"-d{seconds:.0f}s"
    command = ["wrk", f"-t{threads}", f"-c{clients}", duration, "--latency", "-s", script.name, base]
    try:
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    finally:
        Path(script.name).unlink()
    if re.search(r"Non-2xx or 3xx responses", output):
        raise RuntimeError(f"wrk saw error responses:\n{output}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    quantiles = {q: float(v) * _UNITS[u] for q, v, u in re.findall(r"\s(50|99)%\s+([\d.]+)(us|ms|s)", output)}
    return rate, quantiles["50"], quantiles["99"]
