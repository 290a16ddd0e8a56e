"""The local trace: one JSON object per line, flushed as written, so a crash loses nothing.

Every line carries the schema version `v`, a sequence number, a timestamp and a `type`. Values of
secret environment variables (keys, tokens, passwords) are replaced before anything is written.
"""

import json
import os
import re
import time
from pathlib import Path
from typing import Any, Protocol

SCHEMA_VERSION = 1
SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL", re.IGNORECASE)
REDACTED = "[REDACTED]"


def secret_values() -> list[str]:
    values = {v for k, v in os.environ.items() if SECRET_NAME.search(k) and len(v) >= 8}
    return sorted(values, key=len, reverse=True)


def redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


class TraceSink(Protocol):
    """Something else that follows the trace (e.g. OpenTelemetry spans for Phoenix)."""

    link: str | None  # where a person can open what it received, once closed

    def on_event(self, event: dict[str, Any]) -> None: ...

    def close(self) -> list[str]: ...


class TraceWriter:
    def __init__(self, path: Path, sinks: list[TraceSink] | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # "x": never overwrite an earlier trace. Closed by close().
        self._file = open(path, "x", encoding="utf-8")  # noqa: SIM115
        self._seq = 0
        self._secrets = secret_values()
        self.sinks = sinks or []
        self.links: list[str] = []  # sinks' pages for this trace (Phoenix), filled by close()

    def emit(self, type_: str, **fields: Any) -> None:
        record = {"v": SCHEMA_VERSION, "seq": self._seq, "ts": time.time(), "type": type_, **fields}
        line = json.dumps(record, default=str, ensure_ascii=False)
        self._file.write(redact(line, self._secrets) + "\n")
        self._file.flush()
        self._seq += 1
        for sink in self.sinks:
            sink.on_event(record)

    def close(self) -> None:
        if self._file.closed:
            return
        sinks, self.sinks = self.sinks, []
        for sink in sinks:
            problems = sink.close()
            if sink.link:
                self.links.append(sink.link)
            if problems or sink.link:
                self.emit("telemetry", sink=type(sink).__name__, problems=problems[:20], link=sink.link)
        self._file.close()


def read_trace(path: Path) -> list[dict[str, Any]]:
    """Reads a trace; a torn last line (a run killed mid-write) is skipped, not an error."""
    events = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return events
