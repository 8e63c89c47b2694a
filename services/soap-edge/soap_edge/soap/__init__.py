"""The SOAP layer: the PeFAC contract in spyne, MTOM in and out, the operations, the one fault format."""
