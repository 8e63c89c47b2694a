"""What a process's heap holds, for tests and benchmarks of garbage."""
from __future__ import annotations

import gc
import types


def kafka_tracebacks() -> int:
    """Live traceback objects whose innermost frame is kafka-python's."""
    found = 0
    for item in gc.get_objects():
        if type(item) is types.TracebackType:
            while item.tb_next is not None:
                item = item.tb_next
            found += "/kafka/" in item.tb_frame.f_code.co_filename
    return found
