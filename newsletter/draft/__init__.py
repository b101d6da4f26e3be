"""The draft file, the editor's interface: where drafts live (:mod:`.paths`), read and
write (:mod:`.file`, :mod:`.emit` for new ones, :mod:`.record` to read them again
fast), re-draft merge (:mod:`.merge`), saving without losing a concurrent edit
(:mod:`.save`), combining two edits of one draft (:mod:`.combine`), approval
(:mod:`.approval`) and the checks before sending (:mod:`.lint`)."""
