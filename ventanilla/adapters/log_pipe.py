"""Reading a topic to its end in a second process: kafka-python's fetch and record parsing overlap the caller's work.

The child sends each batch as (topic, partition, offsets, values) through a pipe; a thread of the parent takes them
off the pipe as they come (so the child never waits for the caller's work to end a batch) into a queue of a few
batches, whose bound holds the child back. The child is forked before any Kafka client exists in it and uses nothing
of the parent's but its arguments.
"""
from __future__ import annotations

import multiprocessing
import queue
import threading
from itertools import repeat
from typing import Iterator

from ventanilla.adapters.log_reader import read_to_end

_DONE = "done"
QUEUED_BATCHES = 4  # batches received and not yet handled: the memory bound of the read-ahead


def _read(connection, bootstrap_servers: str, topic: str, max_records: int) -> None:
    try:
        for records in read_to_end(bootstrap_servers, topic, max_records):
            first = records[0]
            connection.send((first.topic, first.partition, [r.offset for r in records], [r.value for r in records]))
        connection.send(_DONE)
    except BaseException as error:  # noqa: BLE001 - handed to the parent, which raises it
        connection.send(error)
    finally:
        connection.close()


def read_to_end_in_child(bootstrap_servers: str, topic: str, max_records: int = 5000) -> Iterator[list[tuple]]:
    """As `read_to_end`, from a child process: yield batches of (value, topic, partition, offset), in order per
    partition; the child's error (LookupError if no topic, a KafkaError) is raised here."""
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(target=_read, args=(sending, bootstrap_servers, topic, max_records),
                            name="ventanilla-log-reader", daemon=True)
    child.start()
    sending.close()
    batches: queue.Queue = queue.Queue(maxsize=QUEUED_BATCHES)
    receiver = threading.Thread(target=_receive, args=(receiving, batches), name="log-pipe-receiver", daemon=True)
    receiver.start()
    try:
        while True:
            batch = batches.get()
            if batch == _DONE:
                break
            if isinstance(batch, BaseException):
                raise batch
            topic_name, partition, offsets, values = batch
            yield list(zip(values, repeat(topic_name), repeat(partition), offsets))
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
        while receiver.is_alive():  # it ends at the pipe's end; make room if it waits on a full queue
            try:
                batches.get_nowait()
            except queue.Empty:
                receiver.join(0.05)
        receiving.close()


def _receive(receiving, batches: queue.Queue) -> None:
    """Move the child's batches from the pipe into the queue until its last (done, or an error)."""
    try:
        while True:
            batch = receiving.recv()
            batches.put(batch)
            if batch == _DONE or isinstance(batch, BaseException):
                return
    except (EOFError, OSError) as error:  # the child died without a word
        batches.put(EOFError(f"the log reader process ended early: {error!r}"))
