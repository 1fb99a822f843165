"""Drive one URL with wrk and read back what happened, as numbers.

A small Lua script makes wrk print one JSON line at the end: request count, latency
percentiles, socket errors by kind and every response status it saw, so "non-2xx" and
"5xx" are counted exactly rather than guessed from wrk's text.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

INSTALL_HINT = "wrk is not installed: apt-get install wrk (Debian/Ubuntu)"

REPORT_LUA = r"""
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    for code, count in pairs(thread:get("statuses")) do
      merged[code] = (merged[code] or 0) + count
    end
  end
  local codes = {}
  for code, count in pairs(merged) do
    table.insert(codes, string.format('"%d": %d', code, count))
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, ' ..
    '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}, ' ..
    '"statuses": {%s}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean, table.concat(codes, ", ")))
end
"""


@dataclass
class WrkResult:
    url: str
    connections: int
    requests: int
    duration_s: float
    latency_ms: dict[str, float]
    socket_errors: dict[str, int]
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    @property
    def non_2xx(self) -> int:
        return sum(count for status, count in self.statuses.items() if not 200 <= status < 300)

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)

    @property
    def total_socket_errors(self) -> int:
        return sum(self.socket_errors.values())

    def as_dict(self) -> dict:
        return {
            **asdict(self),
            "requests_per_second": round(self.requests_per_second, 1),
            "non_2xx": self.non_2xx,
            "server_errors": self.server_errors,
        }


def wrk_path() -> str | None:
    return shutil.which("wrk")


def parse(output: str, url: str, connections: int) -> WrkResult:
    """The WrkResult in wrk's output (the line the Lua script writes)."""
    line = next(
        (line for line in output.splitlines() if line.startswith("WRK_JSON ")),
        None,
    )
    if line is None:
        raise ValueError(f"No WRK_JSON line in wrk's output:\n{output[-2000:]}")
    data = json.loads(line.removeprefix("WRK_JSON "))
    return WrkResult(
        url=url,
        connections=connections,
        requests=data["requests"],
        duration_s=data["duration_us"] / 1e6,
        latency_ms={key: value / 1000 for key, value in data["latency_us"].items()},
        socket_errors=data["errors"],
        statuses={int(code): count for code, count in data["statuses"].items()},
    )


def run_wrk(
    url: str,
    *,
    duration: float = 10,
    connections: int = 16,
    threads: int = 2,
    timeout: float = 10,
    headers: dict[str, str] | None = None,
    lua: str = "",
) -> WrkResult:
    """Load `url` for `duration` seconds; loopback only (the caller's server).

    `lua` is appended to the reporting script (to rotate paths, stop early, …).
    """
    return run_wrk_with_output(
        url,
        duration=duration,
        connections=connections,
        threads=threads,
        timeout=timeout,
        headers=headers,
        lua=lua,
    )[0]


def run_wrk_with_output(
    url: str,
    *,
    duration: float = 10,
    connections: int = 16,
    threads: int = 2,
    timeout: float = 10,
    headers: dict[str, str] | None = None,
    lua: str = "",
) -> tuple[WrkResult, str]:
    """`run_wrk`, and wrk's whole output (for lines a caller's `lua` writes in `done`)."""
    wrk = wrk_path()
    if wrk is None:
        raise RuntimeError(INSTALL_HINT)
    if not url.startswith(("http://127.0.0.1:", "http://localhost:", "http://[::1]:")):
        raise ValueError(f"Load is only ever sent to this machine, not to {url}")
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "report.lua"
        script.write_text(REPORT_LUA + lua)
        command = [
            wrk,
            f"--threads={min(threads, connections)}",
            f"--connections={connections}",
            f"--duration={max(1, round(duration))}s",
            f"--timeout={max(1, round(timeout))}s",
            f"--script={script}",
        ]
        for name, value in (headers or {}).items():
            command += ["--header", f"{name}: {value}"]
        result = subprocess.run(
            [*command, url], capture_output=True, text=True, timeout=duration + timeout + 30
        )
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed ({result.returncode}):\n{result.stderr}{result.stdout}")
    return parse(result.stdout, url, connections), result.stdout


ROTATE_LUA = r"""
local paths = {%s}
local sent = 0

function request()
  sent = sent + 1
  return wrk.format("GET", paths[(sent %% #paths) + 1])
end
"""


def run_wrk_requests(
    base_url: str, paths: list[str], requests: int, *, connections: int = 8
) -> list[WrkResult]:
    """At least `requests` requests over `paths` in turn, on one wrk thread.

    wrk runs for a duration, not a count (a Lua thread:stop() still waits the duration
    out), so a short first run measures the rate and later runs cover the rest.
    """
    lua = ROTATE_LUA % ", ".join(json.dumps(path) for path in paths)
    runs: list[WrkResult] = []
    done = 0
    seconds = 5.0
    while done < requests:
        result = run_wrk(
            base_url + paths[0], duration=seconds, connections=connections, threads=1, lua=lua
        )
        runs.append(result)
        done += result.requests
        rate = max(result.requests_per_second, 1.0)
        # Aim short: the rate changes with the load, and the count is a floor, not a cap.
        seconds = min(600.0, max(1.0, 0.8 * (requests - done) / rate))
    return runs
