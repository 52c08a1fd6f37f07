"""Raw floors: what the broker and the database do for a bare client, measured in one run.

    .venv/bin/python -m bench.raw_floors [--messages 50000] [--documents 20000] [--singles 2000]

- Kafka produce: kafka-python with the project's producer (idempotent, acks=all, linger 5 ms),
  ~300-byte values, to a topic of this run's own (3 partitions), until every send is acknowledged;
- Kafka consume: the same messages read back with kafka-python from the beginning;
- pymongo insert_many: ~300-byte documents in batches of 1,000 into a database of this run's own;
- pymongo insert_one: one document per call.

Everything created is dropped at the end. `bench.ingest` imports these functions to measure the
floors in the same run as the end-to-end figure.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass

from kafka import KafkaConsumer, TopicPartition

from bench.common import delete_topics, kafka_bootstrap, machine, mongodb_uri, run_id
from shared.kafka import ensure_topics, make_producer
from shared.mongo import connect

VALUE_BYTES = 300


@dataclass(frozen=True)
class Floors:
    produce: float
    consume: float
    insert_many: float
    insert_one: float

    @property
    def slower(self) -> tuple[str, float]:
        """The slowest bulk path an event must pass: produce, consume or a bulk insert."""
        return min(
            [
                ("kafka produce", self.produce),
                ("kafka consume", self.consume),
                ("mongo insert_many", self.insert_many),
            ],
            key=lambda pair: pair[1],
        )

    def lines(self) -> list[str]:
        name, rate = self.slower
        return [
            f"raw floor kafka produce (idempotent, acks=all, {VALUE_BYTES} B): "
            f"{self.produce:8,.0f} msg/s",
            f"raw floor kafka consume:                           {self.consume:8,.0f} msg/s",
            f"raw floor pymongo insert_many (batches of 1,000): {self.insert_many:8,.0f} docs/s",
            f"raw floor pymongo insert_one:                      {self.insert_one:8,.0f} docs/s",
            f"slower bulk floor: {name} at {rate:,.0f}/s",
        ]


def kafka_rates(bootstrap: str, topic: str, messages: int) -> tuple[float, float]:
    """(produce, consume) messages per second on a topic that exists and is empty."""
    value = os.urandom(VALUE_BYTES // 2).hex().encode()
    producer = make_producer(bootstrap)
    try:
        producer.send(topic, key=b"warm", value=value).get(timeout=30)  # metadata, connection
        started = time.perf_counter()
        futures = [producer.send(topic, key=str(n).encode(), value=value) for n in range(messages)]
        producer.flush(timeout=300)
        for future in futures:
            future.get(timeout=60)
        produce = messages / (time.perf_counter() - started)
    finally:
        producer.close(timeout=10)

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        wanted, seen = messages + 1, 0
        started = time.perf_counter()
        deadline = time.monotonic() + 300
        while seen < wanted and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500, max_records=2_000).values():
                seen += len(records)
        consume = seen / (time.perf_counter() - started)
    finally:
        consumer.close()
    return produce, consume


def mongo_rates(uri: str, database: str, documents: int, singles: int) -> tuple[float, float]:
    """(insert_many, insert_one) documents per second into a database of the caller's own."""
    client = connect(uri)
    try:
        db = client[database]
        payload = "x" * 200

        def doc(n: int) -> dict[str, object]:
            return {"_id": f"doc-{n:09d}", "child_ref": f"child-{n % 500:04d}", "pad": payload}

        db.bulk.insert_one(doc(-1))  # creates the collection
        started = time.perf_counter()
        for first in range(0, documents, 1_000):
            db.bulk.insert_many([doc(n) for n in range(first, min(documents, first + 1_000))])
        many = documents / (time.perf_counter() - started)
        db.single.insert_one(doc(-1))
        started = time.perf_counter()
        for n in range(singles):
            db.single.insert_one(doc(n))
        one = singles / (time.perf_counter() - started)
    finally:
        client.drop_database(database)
        client.close()
    return many, one


def measure(messages: int = 50_000, documents: int = 20_000, singles: int = 2_000) -> Floors:
    run = run_id()
    bootstrap = kafka_bootstrap()
    topic = f"bench_{run}.raw"
    ensure_topics(bootstrap, [topic])
    try:
        produce, consume = kafka_rates(bootstrap, topic, messages)
    finally:
        delete_topics(bootstrap, [topic])
    many, one = mongo_rates(mongodb_uri(), f"bench_raw_{run}", documents, singles)
    return Floors(produce, consume, many, one)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--documents", type=int, default=20_000)
    parser.add_argument("--singles", type=int, default=2_000)
    args = parser.parse_args()
    floors = measure(args.messages, args.documents, args.singles)
    for line in floors.lines():
        print(line)
    print(machine())


if __name__ == "__main__":
    main()
