"""Generated protobuf and gRPC modules of API v1 (make proto)."""
