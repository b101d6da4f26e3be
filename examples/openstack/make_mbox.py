"""Write archives/openstack.mbox: the openstack list's June 2011, as pipermail serves it.

The week of June 25 – July 1, 2011 holds the two threads the newsletter of July 1
featured ("Feedback on Portable Configuration Drive Blueprint", "Swift+Keystone
error") among the week's other traffic; the weeks before give the threads that carry
on into it and the posters who are not new. Addresses are obfuscated ("user at
host") and the Mailman footer is kept, as in the real pipermail downloads. The output
is deterministic: run it again and the file does not change.

    python examples/openstack/make_mbox.py
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.header import Header
from email.utils import format_datetime
from pathlib import Path

from newsletter.fileio import write_atomic

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "archives" / "openstack.mbox"
FOOTER = """
_______________________________________________
Mailing list: https://launchpad.net/~openstack
Post to     : openstack at lists.launchpad.net
Unsubscribe : https://launchpad.net/~openstack
More help   : https://help.launchpad.net/ListHelp
"""
PEOPLE = {
    "thorsten": ("Thorsten von Eicken", "tve at rightscale.com", -7),
    "smoser": ("Scott Moser", "smoser at ubuntu.com", -4),
    "voccio": ("Paul Voccio", "paul.voccio at rackspace.com", -5),
    "vish": ("Vish Ishaya", "vishvananda at gmail.com", -7),
    "tres": ("Tres Henry", "tres.henry at gmail.com", -5),
    "jesse": ("Jesse Andrews", "anotherjesse at gmail.com", -7),
    "todd": ("Todd Wiley", "todd at ansolabs.com", -7),
    "ttx": ("Thierry Carrez", "thierry at openstack.org", 2),
    "soren": ("Soren Hansen", "soren at linux2go.dk", 2),
    "monty": ("Monty Taylor", "mordred at inaugust.com", -7),
    "jorge": ("Jorge Williams", "jorge.williams at rackspace.com", -5),
    "leafe": ("Ed Leafe", "ed at leafe.com", -4),
    "waldon": ("Brian Waldon", "brian.waldon at rackspace.com", -4),
    "jay": ("Jay Pipes", "jaypipes at gmail.com", -4),
    "rick": ("Rick Harris", "rconradharris at gmail.com", -5),
    "dprince": ("Dan Prince", "dan.prince at rackspace.com", -4),
    "trey": ("Trey Morris", "trey.morris at rackspace.com", -5),
    "lamar": ("Brian Lamar", "brian.lamar at rackspace.com", -4),
    "jerome": ("Jérôme Gallard", "jerome.david.gallard at gmail.com", 2),
    "meetup": ("Mark Collier", "mark.collier at rackspace.com", -5),
}


@dataclass
class Post:
    who: str
    when: str  # "06-27 10:03" in the poster's local time
    body: str
    reply_to: int | None = 0  # index of the post answered in the same thread
    html: bool = False


def thread(subject: str, *posts: Post) -> tuple[str, tuple[Post, ...]]:
    return subject, posts


THREADS = [
    thread(
        "Nova API extensions: proposal",
        Post("jorge", "06-14 11:20", "Folks,\n\nI've put together a proposal for how "
             "extensions to the OpenStack Compute API should be discovered and versioned, so "
             "that providers can add features without forking the API. The draft is on the "
             "wiki under NovaAPIExtensions; comments welcome before Thursday's meeting.\n",
             None),
        Post("leafe", "06-14 13:02", "> I've put together a proposal\n\nLooks reasonable. "
             "Should extension aliases be namespaced by vendor?\n"),
        Post("waldon", "06-15 09:41", "+1 on vendor prefixes. I can start on the "
             "controller side once we agree on the alias format.\n", 1),
    ),
    thread(
        "Glance image properties",
        Post("jay", "06-16 15:12", "Hi all,\n\nGlance now stores arbitrary key/value "
             "properties on images. Please use them instead of overloading the image name; "
             "the client exposes them as image['properties'].\n\n-- \nJay\n", None),
        Post("rick", "06-16 16:30", "Nice. Are property values searchable via the "
             "registry API yet?\n"),
    ),
    thread(
        "Diablo-2 milestone schedule",
        Post("ttx", "06-20 10:00", "Hello everyone,\n\nDiablo-2 will be cut on June 28 "
             "and released on June 30. Please get your blueprints' branches proposed for "
             "merge by Monday, and set their status on Launchpad so I can track them.\n",
             None),
        Post("soren", "06-20 12:45", "Can we get the packaging changes in after the cut, "
             "or do they need to land before?\n"),
        Post("ttx", "06-27 09:30", "Reminder: milestone-proposed branches will be cut "
             "tomorrow. Anything not merged by then is Diablo-3 material.\n", 1),
        Post("monty", "06-28 18:10", "milestone-proposed is cut for nova, glance and "
             "swift; tarballs are building on Jenkins.\n", 2),
    ),
    thread(
        "Reminder: OpenStack team meeting - 21:00 UTC",
        Post("ttx", "06-21 09:00", "Hello everyone,\n\nOur weekly team meeting will take "
             "place at 21:00 UTC this Tuesday in #openstack-meeting on IRC. Agenda on the "
             "wiki.\n", None),
    ),
    thread(
        "Reminder: OpenStack team meeting - 21:00 UTC",
        Post("ttx", "06-28 09:00", "Hello everyone,\n\nOur weekly team meeting will take "
             "place at 21:00 UTC this Tuesday in #openstack-meeting on IRC. We'll review "
             "the Diablo-2 status.\n", None),
    ),
    thread(
        "Feedback on Portable Configuration Drive Blueprint",
        Post("thorsten", "06-27 10:03", "Hi all,\n\nWe at RightScale have been looking at "
             "the Portable Configuration Drive blueprint "
             "(https://blueprints.launchpad.net/nova/+spec/configuration-drive) and would "
             "like to offer feedback: we need the drive to carry user-data and network "
             "configuration for instances that cannot reach a metadata service, and the "
             "format should be something every guest OS can read without special drivers.\n"
             "\nA few concrete suggestions:\n- use an ISO9660 or vfat image, not a raw "
             "block device with a custom layout\n- include the same keys as the EC2 "
             "metadata service\n- make it optional per instance\n\nThorsten\n", None),
        Post("smoser", "06-27 14:20", "On Mon, 27 Jun 2011, Thorsten von Eicken wrote:\n"
             "> use an ISO9660 or vfat image\n\nI agree with vfat or ISO9660; cloud-init can "
             "read either. Keeping the EC2 metadata keys would make it trivial to support "
             "in existing images.\n"),
        Post("voccio", "06-27 16:45", "Thanks Thorsten. As the author of the blueprint: "
             "the intent is exactly to serve the no-metadata-service case. I'll update the "
             "spec to name the filesystem and the key layout.\n"),
        Post("thorsten", "06-28 08:15", "Great. Could the drive also carry the "
             "instance's SSH keys, so that we don't depend on the network to log in?\n", 2),
        Post("vish", "06-28 11:30", "We could reuse the injection code we already have "
             "for keys and network. I'd prefer one code path for both injection and the "
             "config drive.\n", 3),
        Post("smoser", "06-28 13:05", "+1 to a single code path. cloud-init will look "
             "for a drive labelled 'config' first.\n", 4),
        Post("voccio", "06-29 10:40", "Updated the blueprint with the vfat format, the "
             "label and the EC2-compatible keys. Thanks all for the feedback.\n", 5),
    ),
    thread(
        "Unit tests failing on trunk after multi-nic merge",
        Post("dprince", "06-28 07:55", "Since the multi-nic branch landed, "
             "test_compute and test_network fail on a fresh checkout when run under "
             "run_tests.sh -N. Anyone else seeing this?\n", None),
        Post("trey", "06-28 09:20", "Yes, the fixtures still create a single network. "
             "I have a fix up for review.\n"),
        Post("lamar", "06-28 12:02", "Fix works for me, approved.\n", 1),
    ),
    thread(
        "Swift+Keystone error",
        Post("tres", "06-29 13:12", "Hello,\n\nI'm trying to get a Swift+Keystone "
             "development environment set up following the wiki, but every request to the "
             "proxy fails with a 401 after Keystone hands out a token. Has anyone got this "
             "combination working?\n\nThanks,\nTres\n", None),
        Post("jesse", "06-29 15:40", "The wiki points at an old repository; Keystone "
             "now lives at https://github.com/rackspace/keystone. Try its current "
             "swift middleware.\n"),
        Post("todd", "06-30 10:05", "You also need this in the [app:proxy-server] "
             "section of proxy-server.conf:\n\n    account_autocreate = true\n", 1),
        Post("tres", "06-30 17:22", "Thanks both. I'm on the new repository and added "
             "account_autocreate = true, but I still see the same error.\n", 2),
    ),
    thread(
        "pep8 and pylint cleanup",
        Post("jay", "06-30 11:00", "I'd like to make nova pep8-clean and gate on it. "
             "Any objection to a big whitespace-only branch this week?\n", None),
        Post("monty", "06-30 12:30", "None, as long as it lands right after the "
             "milestone so it doesn't conflict with everyone's branches.\n"),
    ),
    thread(
        "Live migration with KVM and shared storage",
        Post("jerome", "07-01 09:10", "Hello,\n\nHas anyone tried live migration with "
             "KVM on an NFS-backed instances directory? The migration starts but the "
             "instance stays in 'migrating'.\n", None),
        Post("vish", "07-01 12:00", "Check that libvirt on both hosts listens on TCP "
             "and that the instances directory has the same path everywhere.\n"),
    ),
    thread(
        "OpenStack meetup in Austin",
        Post("meetup", "06-30 15:00", "<html><body><p>Hi all,</p><p>We're holding an "
             "<b>OpenStack meetup</b> in Austin on July 14 with live music; details and "
             "RSVP on the <a href='http://www.meetup.com/OpenStack-Austin/'>meetup "
             "page</a>.</p></body></html>", None, html=True),
    ),
    thread(
        "Diablo-3 planning",
        Post("ttx", "07-04 10:00", "Diablo-3 work starts now; please target your "
             "blueprints.\n", None),
    ),
]  # fmt: skip


def message_id(subject_index: int, post_index: int) -> str:
    return f"<2011{subject_index:02d}{post_index:02d}.openstack@lists.launchpad.net>"


def render() -> bytes:
    messages: list[tuple[datetime, str]] = []
    for number, (subject, posts) in enumerate(THREADS):
        for index, post in enumerate(posts):
            name, address, offset = PEOPLE[post.who]
            local = datetime.strptime(f"2011-{post.when}", "%Y-%m-%d %H:%M")
            when = local.replace(tzinfo=timezone(timedelta(hours=offset)))
            utc = when.astimezone(UTC)
            shown = name if name.isascii() else Header(name, "utf-8").encode()
            headers = [
                f"From {address}  {utc.strftime('%a %b %d %H:%M:%S %Y')}",
                f"From: {address} ({shown})",
                f"Date: {format_datetime(when)}",
                f"Subject: {'Re: ' if index else ''}[Openstack] {subject}",
            ]
            if post.reply_to is not None and index:
                parent = message_id(number, post.reply_to)
                # Tres's follow-up came from a client that dropped In-Reply-To.
                if not (post.who == "tres" and index == 3):
                    headers += [f"In-Reply-To: {parent}", f"References: {parent}"]
            headers.append(f"Message-ID: {message_id(number, index)}")
            kind = "html" if post.html else "plain"
            headers.append(f'Content-Type: text/{kind}; charset="utf-8"')
            body = post.body + ("" if post.html else FOOTER)
            messages.append((utc, "\n".join(headers) + "\n\n" + body + "\n"))
    messages.sort(key=lambda pair: pair[0])
    return "\n".join(text for _, text in messages).encode("utf-8")


def main() -> int:
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    data = render()
    if not OUTPUT.exists() or OUTPUT.read_bytes() != data:
        write_atomic(OUTPUT, data)
    print(f"{OUTPUT.relative_to(HERE)}: {data.count(b'Message-ID:')} messages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
