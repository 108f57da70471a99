"""What the in-process job threads are doing, for the message of a test that waited in vain."""
from __future__ import annotations

import sys
import threading
import traceback


def job_thread_stacks() -> str:
    names = {t.ident: t.name for t in threading.enumerate()}
    return "\n\n".join(f"{names[ident]}:\n{''.join(traceback.format_stack(frame))}"
                       for ident, frame in sys._current_frames().items()
                       if names.get(ident, "").startswith("slotwise-job"))
