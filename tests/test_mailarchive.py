from __future__ import annotations

import gzip
import io
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from newsletter.sections import mbox as mbox_reader
from newsletter.sections.mailing_lists import archive as mailarchive
from newsletter.sections.mailing_lists.archive import MailMessage, Skipped
from tests.mail import mail, mbox

WHEN = datetime(2011, 6, 27, 10, 3, tzinfo=timezone(timedelta(hours=-7)))


def parsed(data: bytes, **kwargs: Any) -> list[MailMessage | Skipped]:
    return [message for _, message in mailarchive.read(io.BytesIO(data), **kwargs)]


def test_headers_are_decoded_and_pipermail_addresses_restored() -> None:
    data = mbox(
        mail(
            "=?utf-8?q?Caf=C3=A9_=E2=80=94?= [Openstack] menu",
            "tve at rightscale.com (=?iso-8859-1?q?Thorsten_von_Eicken?=)",
            WHEN,
            "<a@example.org>",
        ),
        mail("Re: menu", '"Jérôme G." <JG@Example.org>', WHEN, "<b@example.org>",
             reply_to="<a@example.org>"),
    )  # fmt: skip
    first, second = parsed(data)
    assert isinstance(first, MailMessage) and isinstance(second, MailMessage)
    assert first.subject == "Café — [Openstack] menu"
    assert (first.name, first.address) == ("Thorsten von Eicken", "tve@rightscale.com")
    assert first.date == WHEN
    assert (second.name, second.address) == ("Jérôme G.", "jg@example.org")
    assert second.in_reply_to == "<a@example.org>"
    assert second.references == ("<a@example.org>",)


def test_from_lines_inside_bodies_do_not_split_messages() -> None:
    body = "From what I see, it works.\n\nFrom here on\n>From the escaped line\n"
    data = mbox(mail("one", "a@x.org", WHEN, "<1@x>", body), mail("two", "b@x.org", WHEN, "<2@x>"))
    messages = list(mbox_reader.split_mbox(io.BytesIO(data)))
    assert len(messages) == 2
    text, is_html = mailarchive.body_text(messages[0])
    assert not is_html
    assert "From what I see, it works." in text
    assert "From the escaped line" in text and ">From" not in text


def test_missing_date_falls_back_to_envelope_and_broken_date_is_skipped() -> None:
    data = mbox(
        mail("no date", "a@x.org", None, "<1@x>", envelope="From a@x.org Tue Jun 28 10:00:00 2011"),
    )
    (no_date,) = parsed(data)
    assert isinstance(no_date, MailMessage)
    assert no_date.date == datetime(2011, 6, 28, 10, 0, tzinfo=UTC)
    data = mbox(
        mail("no date", "a@x.org", None, "<1@x>"),
        mail("bad date", "a@x.org", None, "<2@x>", headers="Date: someday",
             envelope="From a@x.org Fri Jun 31 10:00:00 2011"),
    )  # fmt: skip
    assert Skipped("unparseable Date") in parsed(data)


def test_envelope_dates_are_the_archives_local_time() -> None:
    # pipermail writes envelope lines in the server's local time (here UTC+2): a message
    # without a Date header is read at the offset its neighbours show.
    paris = timezone(timedelta(hours=2))
    data = mbox(
        mail("undated first", "a@x.org", None, "<0@x>",
             envelope="From a@x.org Mon Jul  4 01:30:00 2011"),
        mail("dated", "b@x.org", datetime(2011, 7, 3, 10, 0, 5, tzinfo=paris), "<1@x>",
             envelope="From b@x.org Sun Jul  3 10:01:02 2011"),
        mail("undated", "c@x.org", None, "<2@x>",
             envelope="From c@x.org Sun Jul  3 23:59:00 2011"),
    )  # fmt: skip
    dates = {m.subject: m.date for m in parsed(data) if isinstance(m, MailMessage)}
    assert dates == {
        "undated first": datetime(2011, 7, 3, 23, 30, tzinfo=UTC),
        "dated": datetime(2011, 7, 3, 8, 0, 5, tzinfo=UTC),
        "undated": datetime(2011, 7, 3, 21, 59, tzinfo=UTC),
    }
    # A zone given for the archive wins, daylight saving time included.
    winter = mbox(mail("x", "a@x.org", None, "<3@x>", envelope="From a Tue Jan 11 09:00:00 2011"))
    (message,) = parsed(winter, zone=ZoneInfo("Europe/Paris"))
    assert isinstance(message, MailMessage)
    assert message.date == datetime(2011, 1, 11, 8, tzinfo=UTC)


def test_missing_message_id_gets_a_stable_synthetic_one() -> None:
    data = mbox(mail("x", "a@x.org", WHEN, None))
    (first,) = parsed(data)
    (again,) = parsed(data)
    assert isinstance(first, MailMessage) and isinstance(again, MailMessage)
    assert first.message_id == again.message_id
    assert first.message_id.endswith("@missing-message-id>")


def test_a_message_without_headers_is_skipped_not_fatal() -> None:
    data = b"From junk Mon Jun 27 17:03:12 2011\n\x00\x01binary garbage\n\n" + mbox(
        mail("fine", "a@x.org", WHEN, "<1@x>")
    )
    first, second = parsed(data)
    assert first == Skipped("no headers")
    assert isinstance(second, MailMessage) and second.subject == "fine"


def test_wrong_and_unknown_charsets_decode_leniently() -> None:
    data = (
        b"From a@x.org Mon Jun 27 17:03:12 2011\n"
        b"From: =?x-unknown?q?Bj=F6rn?= <b@x.org>\n"
        b"Subject: =?utf-8?q?na=EFve?=\n"
        b"Date: Mon, 27 Jun 2011 10:03:12 -0700\n"
        b'Content-Type: text/plain; charset="utf-8"\n\n'
        b"Gr\xfc\xdfe aus Berlin\n"
    )
    ((raw, message),) = list(mailarchive.read(io.BytesIO(data)))
    assert isinstance(message, MailMessage)
    assert message.name == "Björn"
    assert message.subject == "naïve"
    assert mailarchive.body_text(raw)[0].strip() == "Grüße aus Berlin"


def test_multipart_takes_the_text_part_and_html_only_is_flagged() -> None:
    multipart = (
        "From a@x.org Mon Jun 27 17:03:12 2011\nFrom: a@x.org\nSubject: m\n"
        "Date: Mon, 27 Jun 2011 10:03:12 -0700\nMIME-Version: 1.0\n"
        'Content-Type: multipart/alternative; boundary="B"\n\n'
        "--B\nContent-Type: text/html\n\n<p>html <b>part</b></p>\n"
        "--B\nContent-Type: text/plain; charset=iso-8859-1\n"
        "Content-Transfer-Encoding: quoted-printable\n\nplain caf=E9\n--B--\n"
    )
    html_only = (
        "From a@x.org Mon Jun 27 17:03:12 2011\nFrom: a@x.org\nSubject: h\n"
        "Date: Mon, 27 Jun 2011 10:03:12 -0700\nContent-Type: text/html\n\n<p>only html</p>\n"
    )
    raws = list(mbox_reader.split_mbox(io.BytesIO((multipart + html_only).encode())))
    assert mailarchive.body_text(raws[0]) == ("plain café", False)
    assert mailarchive.body_text(raws[1]) == ("<p>only html</p>\n", True)


def test_gzip_archives_and_oversized_messages() -> None:
    huge = mail("big", "a@x.org", WHEN, "<1@x>", "x" * 50_000)
    data = mbox(huge, mail("small", "b@x.org", WHEN, "<2@x>"))
    raws = list(mbox_reader.split_mbox(mbox_reader.open_archive(gzip.compress(data)),
                                       chunk_size=4096, max_message=10_000))  # fmt: skip
    assert [len(r.data) <= 10_000 for r in raws] == [True, True]
    assert [r.truncated for r in raws] == [True, False]
    assert [mailarchive.parse_headers(r).subject for r in raws] == ["big", "small"]  # type: ignore[union-attr]


@given(
    bodies=st.lists(
        st.text(alphabet=st.sampled_from("From x\n>:12 2011ab"), max_size=60), max_size=8
    ),
    chunk=st.integers(min_value=1, max_value=64),
)
def test_splitting_does_not_depend_on_chunk_boundaries(bodies: list[str], chunk: int) -> None:
    data = mbox(
        *(mail(f"s{i}", "a@x.org", WHEN, f"<{i}@x>", body) for i, body in enumerate(bodies))
    )
    whole = list(mbox_reader.split_mbox(io.BytesIO(data), chunk_size=1 << 20))
    assert list(mbox_reader.split_mbox(io.BytesIO(data), chunk_size=chunk)) == whole
    # Every generated message starts a part; a body line may look like an envelope
    # and split further, but no message is ever lost or merged into another.
    subjects = [
        m.subject for _, m in mailarchive.read(io.BytesIO(data)) if isinstance(m, MailMessage)
    ]
    assert [s for s in subjects if s.startswith("s")] == [f"s{i}" for i in range(len(bodies))]


@given(
    words=st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=3),
    charset=st.sampled_from(["utf-8", "iso-8859-1"]),
    encoding=st.sampled_from(["q", "b"]),
)
def test_fast_encoded_word_decoding_matches_the_stdlib(
    words: list[str], charset: str, encoding: str
) -> None:
    from email.header import Header, decode_header, make_header

    header = Header()
    for word in words:
        try:
            word.encode(charset)
        except UnicodeEncodeError:
            continue
        header.append(word, charset)
    encoded = header.encode(maxlinelen=998)
    if "=?" not in encoded:
        return
    expected = str(make_header(decode_header(encoded)))
    assert mailarchive._decoded(encoded) == " ".join(expected.split())


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1)),
       st.integers(-12 * 60, 14 * 60))  # fmt: skip
def test_fast_date_parsing_matches_the_stdlib(moment: datetime, minutes: int) -> None:
    from email.utils import format_datetime, parsedate_to_datetime

    text = format_datetime(
        moment.replace(microsecond=0, tzinfo=timezone(timedelta(minutes=minutes)))
    )
    assert mailarchive._date(text) == parsedate_to_datetime(text)
