"""spyne behind two calls: the WSDL, and the answer to a parsed request (MTOM when it came so)."""
from __future__ import annotations

from dataclasses import dataclass

from lxml import etree
from spyne import Application
from spyne.interface import InterfaceDocumentsBase
from spyne.interface.wsdl import Wsdl11
from spyne.server.wsgi import WsgiApplication

from ventanilla.domain.errors import DomainError

from soap_edge.facts import RequestFacts, Transfer
from soap_edge.soap import faults, mtom
from soap_edge.soap.contract import TNS, ServicioError
from soap_edge.soap.direct import Direct
from soap_edge.soap.operations import Operations
from soap_edge.soap.protocol import REQUEST, EdgeSoap11, request_of
from soap_edge.soap.service import FacturaService

BINDING = "FacturaServicePortBinding"
PORT = "FacturaServicePort"
_WSDL = "{http://schemas.xmlsoap.org/wsdl/}"
_WSP = "{http://www.w3.org/ns/ws-policy}"
_WSU_ID = "{http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd}Id"
_MTOM = "{http://schemas.xmlsoap.org/ws/2004/09/policy/optimizedmimeserialization}OptimizedMimeSerialization"
_POLICY_ID = "FacturaServicePortBinding_MTOM_Policy"


@dataclass(frozen=True)
class Call:
    """What an operation needs besides its parameters (spyne's ctx.udc)."""

    operations: Operations
    facts: RequestFacts


class _Wsdl(Wsdl11):
    """spyne's WSDL, touched up to the reference: names, part names, soapAction, MTOM policy."""

    def __init__(self, interface):
        super().__init__(interface, element_form_default="unqualified")
        self.event_manager.add_listener("wsdl_document_built", _as_reference)

    def _get_binding_name(self, port_type_name):
        return BINDING

    def _add_port_to_service(self, service, port_name, binding_name):
        super()._add_port_to_service(service, PORT, binding_name)


def _as_reference(wsdl: _Wsdl) -> None:
    """Part names, empty soapAction and the optional MTOM policy, as in the reference WSDL."""
    root = wsdl.root_elt
    for part in root.iter(f"{_WSDL}part"):
        part.set("name", "fault" if part.getparent().get("name") == "ServicioError" else "parameters")
    for operation in root.iter("{http://schemas.xmlsoap.org/wsdl/soap/}operation"):
        operation.set("soapAction", "")
    policy = etree.Element(f"{_WSP}Policy", {_WSU_ID: _POLICY_ID})
    etree.SubElement(policy, _MTOM, {f"{_WSP}Optional": "true"})
    root.insert(0, policy)
    root.find(f"{_WSDL}binding").insert(0, etree.Element(f"{_WSP}PolicyReference", URI=f"#{_POLICY_ID}"))


class _Documents(InterfaceDocumentsBase):
    """Interface documents: only our WSDL (which also yields the validation schema)."""

    def __init__(self, interface):
        super().__init__(interface, wsdl11=_Wsdl(interface))


class _Application(Application):
    """Carries the operations' DomainErrors through spyne as ServicioError faults."""

    def call_wrapper(self, ctx):
        try:
            return super().call_wrapper(ctx)
        except DomainError as error:
            raise ServicioError(error) from None


class _Wsgi(WsgiApplication):
    """spyne's WSGI server; whatever it refuses leaves it as the DomainError behind it, for the front to answer."""

    def handle_error(self, p_ctx, others, error, start_response):
        p_ctx.close()
        raise faults.domain_error(error)


class SoapApp:
    """FacturaService: spyne for the contract, the WSDL and every operation; the direct path (`direct.py`) for the
    fixed-shape queries whose request is plain (direct=False: spyne for every request, the reference in tests)."""

    def __init__(self, operations: Operations, direct: bool = True):
        app = _Application([FacturaService], tns=TNS, name="Factura", documents_container=_Documents,
                           in_protocol=EdgeSoap11(validator="lxml"), out_protocol=EdgeSoap11())
        app.event_manager.add_listener("method_call",
                                       lambda ctx: setattr(ctx, "udc", Call(operations, request_of(ctx)[0])))
        self._wsgi = _Wsgi(app)
        self._direct = Direct(operations) if direct else None

    def wsdl(self, environ: dict) -> faults.Response:
        """The WSDL, its addresses from the request's host."""
        return self._call(environ)

    def answer(self, environ: dict, facts: RequestFacts, envelope: mtom.Envelope) -> faults.Response:
        """The operation's answer, MTOM for an MTOM request; a refusal is raised as its DomainError."""
        answered = self._direct.answer(facts, envelope) if self._direct is not None else None
        if answered is not None:
            return answered
        environ[REQUEST] = (facts, envelope)
        status, headers, chunks = self._call(environ)
        if facts.transfer is Transfer.MTOM:
            rewritten = mtom.to_mtom(b"".join(chunks))
            if rewritten is not None:
                media, chunks = rewritten
                headers = [(k, v) for k, v in headers if k.lower() not in ("content-type", "content-length")]
                headers += [("Content-Type", media), ("Content-Length", str(sum(map(len, chunks))))]
        return status, headers, chunks

    def _call(self, environ: dict) -> faults.Response:
        answer = {}
        chunks = self._wsgi(environ, lambda status, headers, *_: answer.update(status=status, headers=headers))
        chunks = [c if isinstance(c, bytes) else c.encode() for c in chunks]
        return answer["status"], list(answer["headers"]), chunks
