"""The gRPC backends: channels per worker process and one typed client per service."""
