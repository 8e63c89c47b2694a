"""WSGI environ keys through which the edge's HTTP front hands facts to the SOAP layer."""

REQUEST_ID = "soap_edge.request_id"
BODY = "soap_edge.body"
OPERATION = "soap_edge.operation"
FAULT_KEY = "soap_edge.fault_key"
ENVELOPE = "soap_edge.envelope"
CALLER = "soap_edge.caller"
