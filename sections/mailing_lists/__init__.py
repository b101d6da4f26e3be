"""The ``mailing_lists`` section: the week's busiest threads from mail archives."""

from .provider import MailingListsProvider

__all__ = ["MailingListsProvider"]
