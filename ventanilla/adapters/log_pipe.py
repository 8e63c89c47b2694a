"""Reading a topic to its end in a second process: kafka-python's fetch and record parsing overlap the caller's work.

The child sends each batch as (topic, partition, offsets, values) in pieces of at most `PIECE_BYTES` of values
through a pipe enlarged to hold such a piece, so a piece is written without waiting for the parent and read by it
in a few system calls; a full pipe holds the child back (the read-ahead is bounded by the pipe). No thread in the
parent: a receiving thread would wait for the GIL on every 64 KB read while the replay holds it (a convoy that made
the rebuild slower than one process). The child is forked before any Kafka client exists in it and uses nothing of
the parent's but its arguments.
"""
from __future__ import annotations

import fcntl
import multiprocessing
from typing import Iterator

from ventanilla.adapters.log_reader import read_to_end

_DONE = "done"
PIPE_BYTES = 1024 * 1024  # Linux's default pipe-max-size for an unprivileged process
PIECE_BYTES = PIPE_BYTES // 2  # values per message, so that one message (with its pickling) fits in the pipe
_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)


def _read(connection, bootstrap_servers: str, topic: str, max_records: int) -> None:
    try:
        for records in read_to_end(bootstrap_servers, topic, max_records):
            first, start, size = records[0], 0, 0
            for end, record in enumerate(records, 1):
                size += len(record.value or b"")
                if size >= PIECE_BYTES or end == len(records):
                    piece = records[start:end]
                    connection.send((first.topic, first.partition, [r.offset for r in piece],
                                     [r.value for r in piece]))
                    start, size = end, 0
        connection.send(_DONE)
    except BaseException as error:  # noqa: BLE001 - handed to the parent, which raises it
        connection.send(error)
    finally:
        connection.close()


def _enlarge(connection) -> None:
    try:
        fcntl.fcntl(connection.fileno(), _F_SETPIPE_SZ, PIPE_BYTES)
    except OSError:  # a lower pipe-max-size: the default pipe still works, in smaller steps
        pass


def read_to_end_in_child(bootstrap_servers: str, topic: str,
                         max_records: int = 5000) -> Iterator[tuple[str, int, list[int], list[bytes]]]:
    """As `read_to_end`, from a child process: yield pieces (topic, partition, offsets, values) of one partition in
    offset order (columns, as `ProjectionStore.replay_run` takes them: no tuple per record); the child's error
    (LookupError if no topic, a KafkaError) is raised here."""
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    _enlarge(sending)
    child = context.Process(target=_read, args=(sending, bootstrap_servers, topic, max_records),
                            name="ventanilla-log-reader", daemon=True)
    child.start()
    sending.close()
    try:
        while True:
            try:
                batch = receiving.recv()
            except EOFError:
                raise EOFError("the log reader process ended without finishing the log") from None
            if batch == _DONE:
                break
            if isinstance(batch, BaseException):
                raise batch
            yield batch
    finally:
        receiving.close()
        if child.is_alive():
            child.terminate()
        child.join()
