"""Mail archives and inboxes written to hurt: every bound holds, one message never costs
the archive, and what came before a cap is kept.

The sizes are those that hung or crashed the reader before (a megabyte of References,
a reply chain tens of thousands deep, gzip that inflates past memory, a 25 MB e-mail);
how long the reader takes on them is measured by bench/bench_mail_bounds.py, not here.
"""

from __future__ import annotations

import gzip
import io
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from newsletter.sections.mailing_lists import archive
from newsletter.sections.mailing_lists.archives import index_entries
from newsletter.sections.mailing_lists.threads import normalize_subject, thread
from newsletter.sections.mbox import ArchiveTooLarge, open_archive, split_mbox
from tests.mail import mail, mbox
from tests.test_mailing_lists import WEEK, at, section_toml

T0 = datetime(2011, 6, 28, tzinfo=UTC)


def chain(depth: int, references: bool = False) -> bytes:
    """A thread ``depth`` messages deep, each replying to the one before."""
    return mbox(
        *(
            mail(
                "Re: deep" if n else "deep",
                f"P{n % 50} <p{n % 50}@x.org>",
                T0 + timedelta(seconds=n),
                f"<m{n}@x>",
                reply_to=f"<m{n - 1}@x>" if n else None,
                headers=f"References: <m{n - 2}@x> <m{n - 1}@x>" if references and n > 1 else "",
            )
            for n in range(depth)
        )
    )


def read_all(data: bytes) -> list[archive.MailMessage]:
    return [m for _, m in archive.read(io.BytesIO(data)) if isinstance(m, archive.MailMessage)]


def test_a_megabyte_of_references_keeps_the_last_ones_and_still_links() -> None:
    references = " ".join(f"<ref{n}@x>" for n in range(80_000))  # ~1 MiB
    data = mbox(
        mail("topic", "A <a@x.org>", T0, "<root@x>"),
        mail("Re: topic", "B <b@x.org>", T0 + timedelta(hours=1), "<r@x>",
             headers=f"References: {references} <root@x>\nIn-Reply-To: <root@x>"),
    )  # fmt: skip
    messages = read_all(data)
    assert len(messages[1].references) == archive.MAX_REFERENCES
    assert messages[1].references[-1] == "<root@x>"
    (found,) = thread(messages)
    assert [m.message_id for m in found.messages] == ["<root@x>", "<r@x>"]


def test_a_reply_chain_tens_of_thousands_deep_is_one_thread() -> None:
    messages = read_all(chain(30_000, references=True))
    (found,) = thread(messages)
    assert len(found.messages) == 30_000
    assert found.root.message_id == "<m0@x>"


def test_a_loop_in_the_headers_still_puts_every_message_in_one_thread() -> None:
    data = mbox(
        *(
            mail("loop", "A <a@x.org>", T0 + timedelta(minutes=n), f"<l{n}@x>",
                 reply_to=f"<l{(n + 1) % 2000}@x>")
            for n in range(2000)
        )
    )  # fmt: skip
    threads = thread(read_all(data))
    seen = [m.message_id for t in threads for m in t.messages]
    assert sorted(seen) == sorted(f"<l{n}@x>" for n in range(2000))
    assert len(threads) == 1


def test_a_subject_of_a_hundred_thousand_prefixes_is_cut_and_normalized() -> None:
    subject = "Re: " * 100_000 + "[dev] Fwd: AW: topic"
    assert normalize_subject(subject) == ("topic", True)
    data = mbox(mail(subject, "A <a@x.org>", T0, "<s@x>"))
    (message,) = read_all(data)
    assert len(message.subject) <= archive.MAX_HEADER


def test_a_megabyte_line_that_almost_looks_like_an_envelope_stays_in_its_body() -> None:
    # pipermail leaves "From " unquoted in bodies, so each such line is tried as an
    # envelope: this one (times, never a year after them) cost the reader ~20 minutes.
    line = b"From x " + b"1:11 " * 200_000
    data = mbox(mail("s", "A <a@x.org>", T0, "<s@x>", "hi\n" + line.decode() + "\nbye\n"))
    (raw,) = split_mbox(io.BytesIO(data))
    assert line in raw.data
    (message,) = read_all(data)
    assert message.message_id == "<s@x>"


def test_a_pipermail_index_of_broken_entries_is_read_in_one_pass() -> None:
    # Every "</A>" and "<I>" with no "</I>" after them was tried in combination with the
    # others: this 560 KB page took ~70 s of the event loop.
    broken = '<LI><A HREF="1.html"></A><I>' * 20_000 + "</I>\n"
    good = '<LI><A HREF="000007.html">[dev] Config drive\n</A><A NAME="7">&nbsp;</A>\n'
    entries = index_entries(broken + good + "<I>Thorsten\n</I>\n")
    assert entries[-1] == ("000007.html", "[dev] Config drive", "Thorsten")


def test_gzip_stops_at_the_decompressed_cap_and_keeps_what_came_before() -> None:
    data = gzip.compress(chain(2000), compresslevel=1)
    stream = open_archive(data, max_size=100_000)
    read: list[bytes] = []
    try:
        for raw in split_mbox(stream):
            read.append(raw.data)
    except ArchiveTooLarge as error:
        assert "larger than" in str(error)
    else:
        raise AssertionError("the cap did not hold")
    assert 0 < len(read) < 2000


def test_a_mailing_list_archive_over_the_cap_is_a_problem_not_a_crash(
    make_workspace: Any, cli: Any
) -> None:
    week = mbox(mail("[dev] In the week", "A <a@x.org>", at(28), "<w@x>"))
    filler = mbox(*(mail("old", "B <b@x.org>", at(1), f"<f{n}@x>", "x" * 900) for n in range(3000)))
    ws = make_workspace(
        section_toml("mbox", "dev.mbox.gz", extra="max_archive_mb = 1"),
        files={"dev.mbox.gz": gzip.compress(week + filler, compresslevel=1)},
    )
    result = cli("-C", ws, "draft", "--week", WEEK)
    assert result.exit_code == 0, result.output
    lists = _section(ws, "lists")
    (problem,) = lists["problems"]
    assert "dev (dev.mbox.gz): larger than 1 MiB once decompressed" in problem
    assert [item["title"] for item in lists["items"]] == ["In the week"]


def _email(subject: str, body: str, attachment: bytes = b"") -> bytes:
    message = EmailMessage()
    message["From"] = "Ann <ann@example.org>"
    message["Subject"] = subject
    message["Date"] = "Tue, 28 Jun 2011 10:00:00 +0000"
    message["Message-ID"] = f"<{abs(hash(subject))}@example.org>"
    message.set_content(body)
    if attachment:
        message.add_attachment(attachment, maintype="application", subtype="octet-stream")
    raw = message.as_bytes().replace(b"\nFrom ", b"\n>From ")
    return b"From ann@example.org Tue Jun 28 10:00:00 2011\n" + raw + b"\n"


def _inbox(make_workspace: Any, name: str, content: bytes, extra: str = "") -> Path:
    return make_workspace(
        f"""
        [[section]]
        id = "inbox"
        provider = "inbox"
        mailbox = "{name}"
        {extra}
        """,
        files={name: content},
    )


def _section(ws: Path, section: str) -> dict[str, Any]:
    data = YAML(typ="safe").load((ws / "drafts" / f"{WEEK}.yaml").read_text("utf-8"))
    return next(s for s in data["sections"] if s["id"] == section)


def test_one_huge_e_mail_is_skipped_and_the_inbox_is_still_read(
    make_workspace: Any, cli: Any
) -> None:
    # 25 MB: over the message cap (10 MiB) and over [http] max_mb (20), which once
    # dropped the whole mbox.
    content = (
        _email("Before", "First.\n")
        + _email("Huge", "See attached.\n", b"\0" * (25 << 20))
        + _email("After", "Last.\n")
    )
    ws = _inbox(make_workspace, "mail/inbox.mbox", content)
    result = cli("-C", ws, "draft", "--week", WEEK)
    assert result.exit_code == 0, result.output
    inbox = _section(ws, "inbox")
    assert [item["title"] for item in inbox["items"]] == ["Before", "After"]
    assert inbox["problems"] == [
        "mail/inbox.mbox#2: larger than 10240 KiB (max_message_kb); skipped"
    ]


def test_a_gzip_inbox_that_inflates_past_the_cap_is_a_problem(
    make_workspace: Any, cli: Any
) -> None:
    filler = b"".join(_email(f"Filler {n}", "x" * 2000) for n in range(1000))
    content = gzip.compress(_email("First", "Hi.\n") + filler, compresslevel=1)
    ws = _inbox(make_workspace, "mail/inbox.mbox.gz", content, "max_archive_mb = 1")
    result = cli("-C", ws, "draft", "--week", WEEK)
    assert result.exit_code == 0, result.output
    inbox = _section(ws, "inbox")
    assert inbox["items"][0]["title"] == "First"
    assert inbox["problems"] == [
        "mail/inbox.mbox.gz: larger than 1 MiB once decompressed: the rest was not read "
        "(max_archive_mb)"
    ]
