"""Adapters to the outside world: Kafka, stores, clock, ids."""
