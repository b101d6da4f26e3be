"""Delivering an approved issue: the message (:mod:`.message`), the SMTP transport
(:mod:`.smtp`), the journal of every delivery (:mod:`.journal`) and the sender that
ties them together (:mod:`.sender`)."""
