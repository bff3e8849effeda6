"""Senders: deliver one message (one event, or one route's daily digest) to a webhook, Slack or a JSONL file.

Each returns an Outcome; a 2xx status (or a line safely on disk) is an acknowledgement. Webhooks receive the
message's idempotency key as the header `Idempotency-Key`, so a re-sent message can be recognised.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Message:
    """What one delivery carries: its key, and the events' payloads (one, or a day's for a digest)."""

    route: str
    idempotency_key: str
    payloads: tuple[dict[str, Any], ...]
    digest_day: str | None = None

    def body(self) -> dict[str, Any]:
        if self.digest_day is None:
            return self.payloads[0]
        return {
            "idempotency_key": self.idempotency_key,
            "route": self.route,
            "digest_day": self.digest_day,
            "events": list(self.payloads),
        }


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    latency_ms: float

    @property
    def acknowledged(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def slack_text(message: Message) -> str:
    """One line per event: event, type, owner, severity, amount at risk, link."""
    lines = [f"{len(message.payloads)} exception events on {message.route} for {message.digest_day}:"]
    if message.digest_day is None:
        lines = []
    for payload in message.payloads:
        lines.append(
            f"[{payload['event']}] {payload['exception_type']} ({payload['severity']}) for {payload['owner']}: "
            f"{payload['entity_type']} {payload['entity_id']}, {payload['amount_at_risk']} "
            f"{payload['currency']} at risk, due {payload['due_at']} <{payload['link']}|open>"
        )
    return "\n".join(lines)


def post(url: str, body: dict[str, Any], idempotency_key: str, timeout: float) -> Outcome:
    """POST the body as JSON; the status code, or the error, and the latency."""
    data = json.dumps(body, sort_keys=True).encode()
    request = urllib.request.Request(
        url,
        data=data,
        method="POST",
        headers={"Content-Type": "application/json", "Idempotency-Key": idempotency_key},
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, error = response.status, None
    except urllib.error.HTTPError as http_error:
        status, error = http_error.code, f"HTTP {http_error.code} {http_error.reason}"
    except (urllib.error.URLError, TimeoutError, OSError) as failure:
        status, error = None, f"{type(failure).__name__}: {failure}"
    return Outcome(status, error, (time.monotonic() - started) * 1000)


def existing_keys(path: Path) -> set[str]:
    """Idempotency keys of the lines already in a JSONL file (a torn last line is ignored)."""
    if not path.exists():
        return set()
    keys = set()
    for line in path.read_text().splitlines():
        try:
            keys.add(json.loads(line)["idempotency_key"])
        except (ValueError, KeyError, TypeError):
            continue
    return keys


def append_jsonl(path: Path, body: dict[str, Any], idempotency_key: str) -> Outcome:
    """Append one line (fsynced) unless a line with this key is already in the file."""
    started = time.monotonic()
    try:
        if idempotency_key not in existing_keys(path):
            path.parent.mkdir(parents=True, exist_ok=True)
            line = json.dumps({**body, "idempotency_key": idempotency_key}, sort_keys=True) + "\n"
            with path.open("a") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
        status, error = 200, None
    except OSError as failure:
        status, error = None, f"{type(failure).__name__}: {failure}"
    return Outcome(status, error, (time.monotonic() - started) * 1000)


def send(kind: str, target: str, message: Message, timeout: float) -> Outcome:
    """Deliver one message to a route of this kind at this target."""
    if kind == "jsonl":
        return append_jsonl(Path(target), message.body(), message.idempotency_key)
    if kind == "slack_webhook":
        return post(target, {"text": slack_text(message)}, message.idempotency_key, timeout)
    return post(target, message.body(), message.idempotency_key, timeout)
