"""Monitoring between runs, end to end (issue 15): two consecutive `leadkit run`s of a
client whose second export has a quality drop in one campaign; the index and the digest
flag that campaign, and a real SMTP server on loopback (aiosmtpd) receives the digest."""

from __future__ import annotations

import email
import socket
from email import policy

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis.sample.company import generate

pytest.importorskip("aiosmtpd")


def _export(truth: pd.DataFrame, path) -> None:
    """Canonical leads as the generic profile's one-row-per-lead CSV."""
    t = truth.copy()
    t["converted"] = np.where(t["converted"] == 1, "yes", "no")
    cols = ["lead_id", "created_at", "source", "medium", "campaign", "segment", "manager"]
    cols += ["qualification", "converted", "revenue", "won_at", "first_contact_at"]
    cols += ["stage", "lost_reason"]
    t[cols].to_csv(path, index=False)


def _quality_drop(truth: pd.DataFrame, campaign: str) -> pd.DataFrame:
    """Two thirds of the campaign's hot leads cold, and not sold."""
    t = truth.copy()
    rng = np.random.default_rng(1)
    hot = (t["campaign"] == campaign) & (t["qualification"] == "hot")
    hit = hot & (rng.random(len(t)) < 2 / 3)
    t["qualification"] = t["qualification"].astype(str)
    t.loc[hit, "qualification"] = "cold"
    t.loc[hit, "converted"] = 0
    t.loc[hit, "revenue"] = 0.0
    t.loc[hit, "won_at"] = pd.NaT
    t.loc[hit & t["stage"].eq("Успешно реализовано"), "stage"] = "Закрыто и не реализовано"
    return t


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    class Keep:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's)
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
            return "250 OK"

    with socket.socket() as s:  # a free port on loopback
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = Keep()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def test_two_runs_flag_a_campaigns_quality_drop_in_the_index_the_digest_and_the_mail(
    tmp_path, smtp_server
):
    from analysis.run.batch import run_batch

    handler, port = smtp_server
    a = generate(seed=21, scale=2.0)
    b = generate(seed=22, scale=2.0)
    leads = tmp_path / "leads.csv"
    spend = tmp_path / "spend.csv"
    a.spend.to_csv(spend, index=False)
    _export(a.truth, leads)
    clients = {
        "out": "out",
        "digest": {
            "smtp": f"127.0.0.1:{port}",
            "from": "leadkit@example.com",
            "to": ["head.of.sales@example.com"],
        },
        "clients": [
            {
                "name": "acme",
                "profile": "generic",
                "inputs": {"leads": "leads.csv", "spend": "spend.csv"},
                "language": "en",
            }
        ],
    }
    file = tmp_path / "clients.yaml"
    file.write_text(yaml.safe_dump(clients), encoding="utf-8")

    first, _ = run_batch(file, run="r1", progress=False)
    assert first[0].status == "ok"
    digest = (tmp_path / "out" / "digest.md").read_text(encoding="utf-8")
    assert "No earlier good run to compare with." in digest

    _export(_quality_drop(b.truth, "g_search"), leads)
    b.spend.to_csv(spend, index=False)
    second, index = run_batch(file, run="r2", progress=False)
    assert second[0].status == "ok"

    page = index.read_text(encoding="utf-8")
    assert "worse beyond chance: g_search" in page
    digest = (tmp_path / "out" / "digest.md").read_text(encoding="utf-8")
    assert "acme: run r2 against run r1" in digest
    assert "g_search: hot share worse" in digest
    lines = [x for x in digest.splitlines() if x.startswith("- ")]
    # the other campaigns' lead quality did not change: none of them is flagged on it
    assert not [x for x in lines if "hot share" in x and "g_search" not in x and ":" in x
                and not x.startswith("- all leads")]  # fmt: skip
    assert (tmp_path / "out" / "digest.html").exists()

    # the mail: both runs sent one; the second lists the drop
    assert len(handler.messages) == 2
    sender, to, raw = handler.messages[-1]
    assert sender == "leadkit@example.com" and to == ["head.of.sales@example.com"]
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert "change" in msg["Subject"] and "beyond chance" in msg["Subject"]
    body = msg.get_body(preferencelist=("plain",)).get_content()
    assert "g_search: hot share worse" in body
    assert msg.get_body(preferencelist=("html",)) is not None


def test_a_bad_digest_block_is_refused_with_the_file_named(tmp_path):
    from analysis.base.errors import DataError
    from analysis.run.batch import read_clients

    file = tmp_path / "clients.yaml"
    file.write_text(
        yaml.safe_dump(
            {"digest": {"smtp": "localhost"}, "clients": [{"name": "a", "profile": "sample"}]}
        ),
        encoding="utf-8",
    )
    with pytest.raises(DataError, match="'digest' needs from, to") as err:
        read_clients(file)
    assert str(file) in str(err.value)
