"""The load kit builds the requests real suppliers send: unique signed invoices in the size mix, MTOM or inline."""
from __future__ import annotations

import email.parser
import email.policy
import random
from collections import Counter

import pytest
from lxml import etree

from tests.e2e import soap
from tests.load import soap_calls
from tests.load.documents import INLINE_LIMIT, SIZE_MIX, Documents, draw_size, pdf_annex
from tests.load.mix import PEAK_PER_SECOND, Rates, plan
from tests.load.pool import Pool, Registered
from tests.load.target import Target

XOP = "{http://www.w3.org/2004/08/xop/include}Include"


def _parts(content_type: str, body: bytes) -> list:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    return list(message.iter_parts())


@pytest.fixture(scope="module")
def documents(signing_pki):
    return Documents(signing_pki.sign, rng=random.Random(7))


def test_mtom_submission_with_pdf_annexes(documents):
    submission = documents.submission(size=40_000, mtom=True, annexes=2)
    parts = _parts(submission.content_type, submission.body)
    root = etree.fromstring(parts[0].get_payload(decode=True))
    includes = root.findall(f".//{XOP}")
    assert [i.getparent().tag for i in includes] == ["facturae", "contenido", "contenido"]
    facturae, *annexes = (p.get_payload(decode=True) for p in parts[1:])
    assert facturae == submission.invoice.document and b"<ds:Signature" in facturae
    assert abs(len(facturae) - 40_000) < 10_000
    assert all(a.startswith(b"%PDF-") for a in annexes)
    assert submission.name == "enviarFactura (mtom)"


def test_inline_submission_carries_base64_documents(documents):
    submission = documents.submission(size=30_000, mtom=False, annexes=1)
    body = etree.fromstring(submission.body)
    call = body.find(f".//{{{soap.NS}}}enviarFactura")
    assert soap.binary(call.find("facturae"), {}) == submission.invoice.document
    assert soap.binary(call.find("anexos/contenido"), {}).startswith(b"%PDF-")
    assert submission.content_type.startswith("text/xml") and submission.name == "enviarFactura (inline)"


def test_every_invoice_is_unique_and_big_ones_go_over_mtom(documents):
    numbers = {documents.submission(size=20_000).invoice.number for _ in range(5)}
    assert len(numbers) == 5
    assert documents.submission(size=INLINE_LIMIT + 1).mtom


def test_the_size_mix_spans_20_kb_to_the_8_mb_cap():
    rng = random.Random(1)
    sizes = [draw_size(rng) for _ in range(20_000)]
    assert min(sizes) >= 20_000 and max(sizes) <= 7_000_000
    small = sum(1 for s in sizes if s <= 60_000) / len(sizes)
    assert abs(small - SIZE_MIX[0][0]) < 0.02
    assert any(s > 3_000_000 for s in sizes)


def test_pdf_annexes_are_pdfs_of_about_the_size_asked():
    annex = pdf_annex(50_000)
    assert annex.startswith(b"%PDF-") and annex.rstrip().endswith(b"%%EOF")
    assert 40_000 < len(annex) < 80_000


def test_queries_and_cancellation_envelopes():
    tupla = {"nifcifProveedor": "B23103039", "ejercicio": 2024, "serie": "A&B", "numeroFactura": "L1"}
    for content_type, body in (soap_calls.estado(7), soap_calls.estado_por_valores(tupla),
                               soap_calls.grupo(range(1, 501)), soap_calls.grupo_por_valores([tupla] * 3),
                               soap_calls.anular(7, "Enviada <por> error")):
        assert content_type.startswith("text/xml")
        etree.fromstring(body)  # well-formed, special characters escaped
    group = etree.fromstring(soap_calls.grupo(range(1, 501))[1])
    assert len(group.findall(".//facturaId")) == 500
    for bad in ([], range(501)):
        with pytest.raises(ValueError):
            soap_calls.grupo(bad)


def test_answers_are_read_for_ids_states_and_fault_keys():
    answer = etree.fromstring(soap.envelope("enviarFacturaResponse", "<return><id>42</id></return>")).find(
        f"{{{soap.SOAP}}}Body")
    assert soap_calls.registered_id(answer) == 42 and soap_calls.fault_key(answer) is None
    estado = etree.fromstring(soap.envelope("consultarEstadoFacturaResponse", "<return>PAGADA</return>")).find(
        f"{{{soap.SOAP}}}Body")
    assert soap_calls.estado_of(estado) == "PAGADA"
    fault = etree.fromstring(
        f'<S:Envelope xmlns:S="{soap.SOAP}"><S:Body><S:Fault><faultcode>S:Client</faultcode><detail>'
        f'<ns2:ServicioError xmlns:ns2="{soap.NS}"><mensajesError>facturae.error.validation.facturaRepetida'
        f'</mensajesError></ns2:ServicioError></detail></S:Fault></S:Body></S:Envelope>').find(f"{{{soap.SOAP}}}Body")
    assert soap_calls.fault_key(fault) == "facturae.error.validation.facturaRepetida"


def test_the_mix_produces_the_face_peak_rates():
    rates = Rates.at(1.0)
    assert rates.submissions == PEAK_PER_SECOND
    for crowd in plan(rates).values():
        assert crowd.users >= 1
    crowds = plan(rates)
    assert crowds["submitter"].users * crowds["submitter"].per_user_rate == pytest.approx(rates.submissions)
    assert Rates.at(1.0, backoffice_rate=7).backoffice_updates == 7


def test_target_defaults_to_loopback_and_needs_a_url():
    with pytest.raises(ValueError, match="VENTANILLA_LOAD_SOAP_URL"):
        Target.from_env({})
    local = Target.from_env({"VENTANILLA_LOAD_SOAP_URL": "https://127.0.0.1:8443/ws/v2/FacturaService"})
    assert local.on_loopback and Target.from_env(local.as_env()) == local
    cluster = Target.from_env({**local.as_env(), "VENTANILLA_LOAD_SOAP_URL": "https://face.example.org/ws"})
    assert not cluster.on_loopback


def test_the_pool_hands_an_invoice_to_one_user_at_a_time():
    pool = Pool(rng=random.Random(3))
    pool.add(Registered(1, {}))
    first = pool.take(lambda i: True)
    assert first is not None and pool.take(lambda i: True) is None
    pool.release(first)
    assert pool.take(lambda i: True) is first
    assert Counter(i.id for i in pool.sample(5)) == Counter({1: 1})
