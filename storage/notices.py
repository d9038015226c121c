"""Notices to customers and operators, through a pluggable sender.

The default sender writes each notice as an `.eml` file into an outbox folder of the warehouse
(never into a customer's delivery folder); the SMTP sender hands it to a mail server.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Protocol

from storage import layout
from storage.roots import Root

FROM_ADDRESS = "it360-noreply@example.co.jp"


@dataclass(frozen=True)
class Notice:
    to: str
    subject: str
    body: str
    kind: str  # publication | failure | missing_deliverable | ...
    support_id: str | None
    at: dt.datetime

    def message(self) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = FROM_ADDRESS
        msg["To"] = self.to
        msg["Subject"] = self.subject
        msg["Date"] = format_datetime(self.at)
        msg["X-IT360-Kind"] = self.kind
        if self.support_id:
            msg["X-IT360-Support-Id"] = self.support_id
        msg.set_content(self.body)
        return msg

    @property
    def notice_id(self) -> str:
        digest = hashlib.sha256(f"{self.to}\0{self.subject}\0{self.body}".encode()).hexdigest()
        return f"{self.at.strftime('%Y%m%dT%H%M%S')}-{self.kind}-{digest[:12]}"


class Sender(Protocol):
    def send(self, notice: Notice) -> str: ...


class OutboxSender:
    """Writes `<outbox>/<notice id>.eml`; returns the path written."""

    def __init__(self, root: Root, folder: str = "outbox") -> None:
        self.root = root
        self.folder = folder

    def send(self, notice: Notice) -> str:
        rel = layout.outbox_notice(self.folder, notice.notice_id)
        self.root.write_bytes(rel, bytes(notice.message()))
        return self.root.url(rel)


class SmtpSender:
    """Sends through an SMTP server (STARTTLS and login when configured)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.host, self.port, self.starttls = host, port, starttls
        self.username, self.password, self.timeout = username, password, timeout

    def send(self, notice: Notice) -> str:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(notice.message())
        return f"smtp://{self.host}:{self.port}"
