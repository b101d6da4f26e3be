"""The draft file, the editor's interface: read and write (:mod:`.file`), re-draft
merge (:mod:`.merge`), saving without losing a concurrent edit (:mod:`.save`), combining
two edits of one draft (:mod:`.combine`), approval (:mod:`.approval`) and the checks
before sending (:mod:`.lint`)."""

from .file import DRAFTS_DIR, draft_path, load_draft, newest_draft
from .merge import write_draft

__all__ = ["DRAFTS_DIR", "draft_path", "load_draft", "newest_draft", "write_draft"]
