"""Confluent's own Python client as an interop peer of Busbar's Confluent framing.

Nobody on Busbar wrote this side: confluent-kafka (librdkafka) with its schema-registry Avro serdes
(confluent_kafka.schema_registry.avro.AvroSerializer / AvroDeserializer, fastavro underneath).

  python confluent_peer.py read  BROKERS REGISTRY_URL TOPIC COUNT
      consumes COUNT records with AvroDeserializer and prints each as a JSON line
  python confluent_peer.py write BROKERS REGISTRY_URL TOPIC SCHEMA_FILE COMMAND_JSON
      writes one record with AvroSerializer (TopicNameStrategy: TOPIC-value, auto-register) and
      prints {"schema_id": N}
"""
import json
import sys
import datetime

from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext


def to_json(value):
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(type(value))


def read(brokers, url, topic, count):
    registry = SchemaRegistryClient({"url": url})
    deserializer = AvroDeserializer(registry)
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": "confluent-peer", "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    got = 0
    try:
        while got < count:
            msg = consumer.poll(30.0)
            if msg is None:
                raise SystemExit(f"timed out after {got} of {count} records")
            if msg.error():
                raise SystemExit(str(msg.error()))
            value = deserializer(msg.value(), SerializationContext(topic, MessageField.VALUE))
            print(json.dumps({"schema_id": int.from_bytes(msg.value()[1:5], "big"), "value": value}, default=to_json), flush=True)
            got += 1
    finally:
        consumer.close()


def write(brokers, url, topic, schema_file, command_json):
    registry = SchemaRegistryClient({"url": url})
    with open(schema_file, encoding="utf-8") as f:
        schema = f.read()
    # Busbar's Command uses timestamp-micros: fastavro takes datetime values for it
    command = json.loads(command_json)
    for field in ("issued_at", "expires_at"):
        command[field] = datetime.datetime.fromisoformat(command[field].replace("Z", "+00:00"))
    # the parameter union ["null","boolean","long","double","string"]: fastavro picks the branch by Python type
    serializer = AvroSerializer(registry, schema, conf={"auto.register.schemas": True})
    value = serializer(command, SerializationContext(topic, MessageField.VALUE))
    producer = Producer({"bootstrap.servers": brokers})
    producer.produce(topic, key=command["target"]["device_id"].encode(), value=value)
    if producer.flush(30) != 0:
        raise SystemExit("not delivered")
    print(json.dumps({"schema_id": int.from_bytes(value[1:5], "big")}), flush=True)


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "read":
        read(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    elif mode == "write":
        write(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6])
    else:
        raise SystemExit(f"unknown mode {mode}")
