"""Reading a whole topic (or what follows given offsets) up to the end it has now, in large batches."""
from __future__ import annotations

from typing import Iterator

from kafka import KafkaConsumer, TopicPartition


def read_to_end(bootstrap_servers: str, topic: str, max_records: int = 5000,
                start: dict[int, int] | None = None, ends_seen: dict[int, int] | None = None) -> Iterator[list]:
    """Yield batches of records (each partition in order, from `start` or the beginning) until the end seen at
    the start, which is written into `ends_seen`; LookupError if no topic."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap_servers, client_id="ventanilla-log-reader", group_id=None,
                             enable_auto_commit=False, max_poll_records=max_records,
                             fetch_max_bytes=64 * 1024 * 1024, max_partition_fetch_bytes=16 * 1024 * 1024)
    try:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            raise LookupError(f"topic {topic} does not exist")
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        for tp in tps:
            if (start or {}).get(tp.partition):
                consumer.seek(tp, start[tp.partition])
        ends = consumer.end_offsets(tps)
        if ends_seen is not None:
            ends_seen.update({tp.partition: offset for tp, offset in ends.items()})
        ends = {tp: offset for tp, offset in ends.items() if offset > (start or {}).get(tp.partition, 0)}
        while ends:
            for tp, records in consumer.poll(timeout_ms=500, max_records=max_records).items():
                kept = [r for r in records if r.offset < ends.get(tp, 0)]
                if kept:
                    yield kept
                if tp in ends and consumer.position(tp) >= ends[tp]:
                    del ends[tp]
                    consumer.pause(tp)
    finally:
        consumer.close(autocommit=False)
