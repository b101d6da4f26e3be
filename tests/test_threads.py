from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from newsletter.sections.mailing_lists.archive import MailMessage
from newsletter.sections.mailing_lists.threads import normalize_subject, thread

T0 = datetime(2011, 6, 27, tzinfo=UTC)


def msg(
    mid: str,
    subject: str = "topic",
    *,
    hours: float = 0,
    reply: str = "",
    refs: tuple[str, ...] = (),
    who: str = "a@x.org",
) -> MailMessage:
    return MailMessage(
        message_id=f"<{mid}>",
        subject=subject,
        name="",
        address=who,
        date=T0 + timedelta(hours=hours),
        in_reply_to=f"<{reply}>" if reply else "",
        references=tuple(f"<{r}>" for r in refs),
    )


def ids(threads: list) -> list[list[str]]:  # type: ignore[type-arg]
    return [[m.message_id.strip("<>") for m in t.messages] for t in threads]


def test_replies_join_by_references_even_through_a_missing_message() -> None:
    found = thread(
        [
            msg("1", "Config drive"),
            msg("2", "Re: Config drive", hours=1, reply="1"),
            # Replies to a message the archive lacks, which replied to 1.
            msg("3", "Re: Config drive", hours=2, reply="missing", refs=("1", "missing")),
            msg("4", "Other", hours=3),
        ]
    )
    assert ids(found) == [["1", "2", "3"], ["4"]]
    assert found[0].root.message_id == "<1>"


def test_unlinked_reply_joins_by_subject_within_the_time_bound_only() -> None:
    found = thread(
        [
            msg("1", "[Openstack] Swift+Keystone error"),
            msg("2", "Re: [Openstack] Swift+Keystone error", hours=30),
            msg("3", "AW: [Openstack] swift+keystone  error", hours=24 * 40),
            msg("4", "[Openstack] Swift+Keystone error", hours=31),
        ],
        subject_window=timedelta(days=30),
    )
    # 2 is a reply by subject; 3 comes too late; 4 is a new thread (no "Re:").
    assert ids(found) == [["1", "2"], ["4"], ["3"]]


def test_loops_duplicates_and_self_references_do_not_lose_messages() -> None:
    found = thread(
        [
            msg("1", reply="2"),
            msg("2", hours=1, reply="1"),
            msg("3", hours=2, reply="3"),
            msg("3", hours=3),
        ]
    )
    assert sorted(m for t in ids(found) for m in t) == ["1", "2", "3", "3"]


def test_subject_normalization() -> None:
    assert normalize_subject("Re: [Openstack] RE: Fwd: Hello  World") == ("hello world", True)
    assert normalize_subject("[dev] Hello") == ("hello", False)
    assert normalize_subject("Antw: [x] AW:Hi") == ("hi", True)


_ids = st.sampled_from([f"m{i}" for i in range(8)])


@given(
    st.lists(
        st.tuples(
            _ids,
            st.sampled_from(["a", "Re: a", "[l] b", "Re: b", ""]),
            st.integers(0, 2000),
            st.one_of(st.just(""), _ids),
            st.lists(_ids, max_size=4),
        ),
        max_size=30,
    )
)
def test_every_message_lands_in_exactly_one_thread(specs: list) -> None:  # type: ignore[type-arg]
    messages = [
        msg(mid, subject, hours=hours, reply=reply, refs=tuple(refs))
        for mid, subject, hours, reply, refs in specs
    ]
    found = thread(messages, subject_window=timedelta(days=10))
    placed = [id(m) for t in found for m in t.messages]
    assert sorted(placed) == sorted(id(m) for m in messages)
    for t in found:
        assert t.messages and t.root in t.messages
        assert [m.date for m in t.messages] == sorted(m.date for m in t.messages)
