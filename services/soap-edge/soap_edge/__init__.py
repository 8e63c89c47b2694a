"""SOAP edge: the PeFAC v2 SOAP 1.1 + MTOM contract, translated to Ventanilla's gRPC services."""
