"""The load-testing kit: Locust scenarios of suppliers and back offices against a stack (make load)."""
