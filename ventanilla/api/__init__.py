"""Generated protobuf and gRPC modules (make proto)."""
