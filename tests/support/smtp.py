"""A real SMTP server (aiosmtpd) that records what it receives, with failure injection."""
from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


class Recorder:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.arrived: list[datetime] = []  # when each of `messages` was accepted (UTC)
        self.fail_with: str | None = None  # e.g. "451 4.3.0 Try again later" or "550 5.1.1 No such user"
        self.delay_seconds = 0.0
        self.data_started = 0
        self.failures_left = -1  # with fail_with: fail this many times, then accept (-1: always)
        self.fail_only_to: str | None = None  # with fail_with: only messages to this address fail

    async def handle_DATA(self, server, session, envelope) -> str:
        self.data_started += 1
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        targeted = self.fail_only_to is None or self.fail_only_to in envelope.rcpt_tos
        if self.fail_with and self.failures_left != 0 and targeted:
            self.failures_left -= 1
            return self.fail_with
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        self.arrived.append(datetime.now(timezone.utc))
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def wait_for(self, count: int, timeout: float = 20, address: str | None = None) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address) if address else self.messages
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"expected {count} messages{' to ' + address if address else ''}, "
                             f"got {[(m['To'], m['Subject']) for m in self.messages]}")


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.recorder = Recorder()
        self.port = port
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()
