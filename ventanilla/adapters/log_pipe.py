"""Reading a topic to its end in a second process: kafka-python's fetch and record parsing overlap the caller's work.

The child sends each batch as (topic, partition, offsets, values) through a pipe; a full pipe holds the child back,
so at most about one batch waits beside the one being handled. The child is forked before any Kafka client exists
in it and uses nothing of the parent's but its arguments.
"""
from __future__ import annotations

import multiprocessing
from itertools import repeat
from typing import Iterator

from ventanilla.adapters.log_reader import read_to_end

_DONE = "done"


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
    try:
        while True:
            batch = receiving.recv()
            if batch == _DONE:
                break
            if isinstance(batch, BaseException):
                raise batch
            topic_name, partition, offsets, values = batch
            yield list(zip(values, repeat(topic_name), repeat(partition), offsets))
    finally:
        receiving.close()
        if child.is_alive():
            child.terminate()
        child.join()
