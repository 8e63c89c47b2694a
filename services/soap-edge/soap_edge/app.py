"""The spyne application: FacturaService with the reference WSDL's names and unqualified elements."""
from __future__ import annotations

from dataclasses import dataclass

from lxml import etree
from spyne import Application
from spyne.interface import InterfaceDocumentsBase
from spyne.interface.wsdl import Wsdl11
from spyne.server.wsgi import WsgiApplication

from ventanilla.api.v1 import services_pb2
from ventanilla.domain.errors import DomainError

from soap_edge.contract import TNS, ServicioError
from soap_edge.identity import caller_of
from soap_edge.protocol import EdgeSoap11
from soap_edge.service import FacturaService

BINDING = "FacturaServicePortBinding"
PORT = "FacturaServicePort"
_WSDL = "{http://schemas.xmlsoap.org/wsdl/}"
_WSP = "{http://www.w3.org/ns/ws-policy}"
_WSU_ID = "{http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd}Id"
_MTOM = "{http://schemas.xmlsoap.org/ws/2004/09/policy/optimizedmimeserialization}OptimizedMimeSerialization"
_POLICY_ID = "FacturaServicePortBinding_MTOM_Policy"


@dataclass(frozen=True)
class RequestContext:
    """What an operation needs besides its parameters (spyne's ctx.udc)."""

    handlers: object
    environ: dict
    trusted_proxies: tuple = ()

    @property
    def caller(self) -> services_pb2.Caller:
        """The caller, resolved when an operation needs it (a refusal becomes that operation's fault)."""
        return caller_of(self.environ, self.trusted_proxies)


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
    """Turns the handlers' DomainErrors into ServicioError faults."""

    def call_wrapper(self, ctx):
        try:
            return super().call_wrapper(ctx)
        except DomainError as error:
            raise ServicioError(error) from None


def soap_wsgi(handlers, trusted_proxies: tuple = ()) -> WsgiApplication:
    """spyne's WSGI application for FacturaService, each call given handlers and its caller."""
    app = _Application([FacturaService], tns=TNS, name="Factura", documents_container=_Documents,
                       in_protocol=EdgeSoap11(validator="lxml"), out_protocol=EdgeSoap11())
    app.event_manager.add_listener(
        "method_call",
        lambda ctx: setattr(ctx, "udc", RequestContext(handlers, ctx.transport.req_env, trusted_proxies)),
    )
    return WsgiApplication(app)
