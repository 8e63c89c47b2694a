"""Registration notices: keyed and headed by DIR3 centres so each RCF can take only its own."""
from ventanilla.api.v1 import backoffice_pb2 as pb

from ..domain.factories import registration
from status_service.notices import notice_of


def test_a_notice_is_keyed_by_oficina_contable_with_every_centre_in_headers():
    key, headers, value = notice_of(registration(11))
    assert key == b"A05003638"
    assert dict(headers) == {"ventanilla-oficina-contable": b"A05003638", "ventanilla-organo-gestor": b"A05003638",
                             "ventanilla-unidad-tramitadora": b"A05003638", "ventanilla-invoice-id": b"11"}
    notice = pb.InvoiceRegisteredNotice.FromString(value)
    assert (notice.invoice_id, notice.key.number, notice.total, notice.facturae.sha256) == (11, "0042", "1210.00",
                                                                                          "ab" * 32)
    assert [a.name for a in notice.attachments] == ["albaran.pdf"]
