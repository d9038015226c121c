"""Notices through the pluggable sender: the outbox folder, and SMTP to a real local server."""

import datetime as dt
import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller

from assets.resources import Notifier
from storage.notices import Notice, OutboxSender, SmtpSender
from storage.roots import Root

NOTICE = Notice(
    to="it@example.co.jp",
    subject="[IT360] 2024-03-18.zip を格納しました",
    body="ファイル: it360-log/S0001/2024-03-18.zip",
    kind="publication",
    support_id="S0001",
    at=dt.datetime(2024, 3, 20, 21, 0, tzinfo=dt.UTC),
)


class Collect:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    handler = Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def test_smtp_sender_delivers_to_a_real_server(smtp_server):
    handler, port = smtp_server
    SmtpSender("127.0.0.1", port).send(NOTICE)
    assert len(handler.messages) == 1
    recipients, raw = handler.messages[0]
    assert recipients == ["it@example.co.jp"]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Subject"] == NOTICE.subject
    assert message["X-IT360-Support-Id"] == "S0001"
    assert "2024-03-18.zip" in message.get_content()


def test_the_notifier_resource_picks_smtp_when_configured(smtp_server, tmp_path):
    handler, port = smtp_server
    Notifier(outbox=str(tmp_path), smtp_host="127.0.0.1", smtp_port=port).sender().send(NOTICE)
    assert len(handler.messages) == 1 and list(tmp_path.iterdir()) == []


def test_outbox_sender_writes_one_eml_per_notice(tmp_path):
    path = OutboxSender(Root(str(tmp_path)), folder="").send(NOTICE)
    files = list(tmp_path.glob("*.eml"))
    assert [str(f) for f in files] == [path]
    message = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert message["To"] == "it@example.co.jp" and message["Subject"] == NOTICE.subject


def test_an_unreachable_smtp_server_fails_loudly():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there once closed
    with pytest.raises(OSError):
        SmtpSender("127.0.0.1", port, timeout=2).send(NOTICE)
