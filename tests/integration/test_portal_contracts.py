"""The portal's ports: the in-memory fakes and the real adapters pass the same contract tests.

Read model: MemoryReadModel, PortalProjection on SQLite and on PostgreSQL. Claims: MemoryClaims, IntegratorClaims
on SQLite and PostgreSQL. Log: MemoryLog and the Kafka log. Mail: MemoryMailer and the SMTP mailer (aiosmtpd).
"""
from datetime import datetime, timedelta, timezone

import pytest
from kafka import KafkaConsumer, TopicPartition

from ventanilla.adapters.integrator_claims import IntegratorClaims
from ventanilla.adapters.integrator_codec import decode
from ventanilla.adapters.integrator_log import KafkaIntegratorLog
from ventanilla.adapters.mail import SmtpMailer, SmtpRelay
from ventanilla.adapters.portal_projection import PortalProjection
from ventanilla.domain import integrator_commands as cmd
from ventanilla.domain import integrator_events as ev
from ventanilla.domain.integrator import PlatformState
from ventanilla.domain.integrator_claims import Claim, Conflict
from ventanilla.domain.integrator_decide import Refused
from portal_service.handlers import Actor, Portal
from ventanilla.domain.integrator_listing import Home
from tests.support.portal import COMPANY, PERSON, PUBLIC_BODY, STAFF, build_portal_pki
from tests.support.portal_fakes import FixedClock, MemoryClaims, MemoryLog, MemoryMailer, MemoryReadModel
from tests.support.portal_kafka import certificate_facts
from tests.support.smtp import smtp_server

pytestmark = pytest.mark.integration
AT = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)


def _database(request, tmp_path, name):
    if request.param == "sqlite":
        return tmp_path / f"{name}.sqlite3"
    return request.getfixturevalue("claims_dsn")


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def read_model(request, tmp_path):
    return MemoryReadModel() if request.param == "memory" else PortalProjection(_database(request, tmp_path, "rm"))


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def claims(request, tmp_path):
    return MemoryClaims() if request.param == "memory" else IntegratorClaims(_database(request, tmp_path, "claims"))


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """A log written by the use cases: two integrators, certificates, platforms, staff, a person, a notice."""
    portal_pki = build_portal_pki(tmp_path_factory.mktemp("contract-pki"))
    model = MemoryReadModel()
    log = MemoryLog(model)
    clock = FixedClock(datetime.now(timezone.utc).replace(microsecond=0))
    portal = Portal(log, model, lambda position: True, MemoryMailer(), clock, MemoryClaims())
    facts = [certificate_facts(portal_pki.system_certificate(f"c{n}", days=20 + 30 * n)) for n in range(3)]
    for nif, name in ((COMPANY, "Entidad B"), (PUBLIC_BODY, "Ayuntamiento Q")):
        portal.run(Actor(nif, nif), cmd.SignUp, name=name, email=f"{nif}@ejemplo.es", third_party=False,
                   accepted_terms=True, signed_document=b"<alta/>")
    q = Actor(PUBLIC_BODY, PUBLIC_BODY)
    for n, f in enumerate(facts):
        portal.run(q, cmd.RegisterCertificate, alias=f"c{n}", facts=f, held_elsewhere=False)
    portal.run(q, cmd.CreatePlatform, platform_id="rcf", name="Registro", roles=frozenset({ev.Role.RECEIVING}),
               fingerprint=facts[0].fingerprint)
    portal.run(q, cmd.CreatePlatform, platform_id="env", name="Envío", roles=frozenset({ev.Role.SENDING}),
               fingerprint=facts[1].fingerprint)
    portal.run(q, cmd.RemoveCertificate, fingerprint=facts[2].fingerprint)
    portal.run(q, cmd.AuthorizeUser, user_nif=PERSON, name="Ana", surname1="Pérez", surname2="", email="ana@ej.es")
    portal.run(Actor(PERSON, PERSON), cmd.ChangePersonalData, name="Ana", surname1="Pérez", surname2="Gil",
               email="ana@propio.es", phone="", language="en")
    portal.run(Actor(STAFF, STAFF), cmd.PublishNotice, notice_id="n1", title="Parada", body="El sábado.")
    return log.records, facts, clock.now()


def _records(events, start=0):
    return [(e, "integrators", 0, start + n) for n, e in enumerate(events)]


def test_read_model_answers_from_the_log(read_model, history):
    events, facts, now = history
    assert read_model.apply_many(_records(events)) == len(events)
    assert read_model.apply_many(_records(events)) == 0  # a redelivery has no effect
    assert read_model.positions("integrators") == {0: len(events)}
    state = read_model.integrator(PUBLIC_BODY)
    assert state.signed_up and state.version == sum(e.nif == PUBLIC_BODY for e in events)
    assert set(state.platforms) == {"rcf", "env"} and state.platforms["rcf"].state is PlatformState.PENDING
    assert read_model.integrator("B00000000") is None
    assert [type(e) for e in read_model.history(PUBLIC_BODY, limit=2)] == [ev.UserAuthorized, ev.CertificateRemoved]
    assert read_model.integrator_with_history(PUBLIC_BODY, limit=2) == (state, read_model.history(PUBLIC_BODY, 2))
    assert read_model.integrator_with_history("B00000000", limit=2) == (None, [])
    home = read_model.home(PUBLIC_BODY, PERSON, limit=2, notices=5)
    assert (home.state, home.history) == (state, read_model.history(PUBLIC_BODY, 2))
    assert home.represented == read_model.represented_by(PERSON) and home.notices == read_model.notices(5)
    assert read_model.home("B00000000", "B00000000", limit=2) == Home(None, [], [], read_model.notices())
    assert read_model.certificate_holder(facts[0].fingerprint) == PUBLIC_BODY
    assert read_model.certificate_holder(facts[2].fingerprint) is None  # removed
    assert read_model.person(PERSON).email == "ana@propio.es"  # their own word beats the integrator's
    assert [r.nif for r in read_model.represented_by(PERSON)] == [PUBLIC_BODY]
    assert [r.nif for r in read_model.integrators()] == [PUBLIC_BODY, COMPANY]  # by name
    assert [r.nif for r in read_model.integrators("entidad")] == [COMPANY]
    assert [r.platform_id for r in read_model.platforms_in((PlatformState.PENDING,))] == ["rcf"]
    assert [n.notice_id for n in read_model.notices()] == ["n1"]
    assert [r.fingerprint for r in read_model.expiring(now + timedelta(days=60))] == [f.fingerprint
                                                                                      for f in facts[:2]]


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_the_home_page_reads_what_another_replica_applied_on_the_next_request(store, request, tmp_path, history):
    """Two portal replicas on one projection store: what one applies, the other's next home page shows (the notice
    staff published, a new authorization, the integrator's new state), though the other kept the state it served."""
    events, _, _ = history
    target = tmp_path / "shared.sqlite3" if store == "sqlite" else request.getfixturevalue("claims_dsn")
    writer, reader = PortalProjection(target), PortalProjection(target)
    notice = next(n for n, e in enumerate(events) if isinstance(e, ev.NoticePublished))
    authorized = next(n for n, e in enumerate(events) if isinstance(e, ev.UserAuthorized))
    writer.apply_many(_records(events[:authorized]))
    before = reader.home(PUBLIC_BODY, PERSON)
    assert before.notices == [] and before.represented == [] and before.state.authorized == {}
    writer.apply_many(_records(events[authorized:notice + 1], start=authorized))
    after = reader.home(PUBLIC_BODY, PERSON)
    assert [n.title for n in after.notices] == ["Parada"]
    assert [r.nif for r in after.represented] == [PUBLIC_BODY]
    assert after.state == writer.integrator(PUBLIC_BODY) and PERSON in after.state.authorized
    assert type(after.history[0]) is ev.UserAuthorized


def test_the_projection_keeps_at_most_its_bound_of_states_and_answers_the_same_beyond_it(tmp_path, history):
    """The folded states kept per process are bounded (least recently read forgotten, then folded again from the
    store): with room for one, reading two integrators in turn keeps one and answers as an unbounded projection."""
    events, _, _ = history
    target = tmp_path / "bounded.sqlite3"
    PortalProjection(target).apply_many(_records(events))
    bounded, fresh = PortalProjection(target, cached_states=1), PortalProjection(target)
    for nif in (COMPANY, PUBLIC_BODY, COMPANY, PUBLIC_BODY):
        assert bounded.integrator(nif) == fresh.integrator(nif) is not None
        assert bounded.home(nif, nif).state == fresh.home(nif, nif).state
        assert list(bounded._cache) == [nif]  # the other one forgotten


def claim(nif, expected, n=1, take=(), release=(), at=AT, held=()):
    return Claim(nif, expected, expected + n, tuple(take), tuple(release), at, tuple(held))


def test_claims_take_versions_in_turn_and_each_fingerprint_once(claims):
    claims.record(claim(COMPANY, 0, take=("f1",)))
    with pytest.raises(Conflict):
        claims.record(claim(COMPANY, 0))  # decided against the state before the first claim
    claims.record(claim(COMPANY, 1, n=2))
    assert claims.version(COMPANY) == 3
    with pytest.raises(Refused) as refused:
        claims.record(claim(PUBLIC_BODY, 0, take=("f1",)))
    assert (refused.value.code, refused.value.field) == ("certificate_registered", "file")
    assert claims.version(PUBLIC_BODY) is None and claims.holder("f1") == COMPANY  # a refusal takes nothing
    claims.record(claim(COMPANY, 3, release=("f1",), held=("f1",)))
    claims.record(claim(PUBLIC_BODY, 0, take=("f1",)))
    assert claims.holder("f1") == PUBLIC_BODY


def test_an_undone_claim_gives_everything_back(claims):
    claims.record(claim(COMPANY, 0, take=("f1", "f2")))
    taken = claim(COMPANY, 1, take=("f3",), release=("f1",), held=("f1", "f2"))
    claims.record(taken)
    claims.undo(taken)
    assert claims.version(COMPANY) == 1
    assert [claims.holder(f) for f in ("f1", "f2", "f3")] == [COMPANY, COMPANY, None]
    claims.record(claim(COMPANY, 1))  # the same version can be claimed again


def test_a_dead_writers_claim_is_taken_over_only_when_stale(claims):
    claims.record(claim(COMPANY, 0, take=("f1",)))
    claims.record(claim(COMPANY, 1, take=("lost",)))  # its events never reached the log
    later = AT + timedelta(minutes=10)
    with pytest.raises(Conflict):
        claims.record(claim(COMPANY, 1, at=later, held=("f1",)), stale_before=AT)  # not older than that
    claims.record(claim(COMPANY, 1, at=later, held=("f1",)), stale_before=later - timedelta(minutes=5))
    assert claims.version(COMPANY) == 2
    assert claims.holder("lost") is None and claims.holder("f1") == COMPANY


def test_claims_behind_the_log_are_brought_level_with_the_state(claims):
    claims.record(claim(COMPANY, 7, held=("f9",)))  # a new claims table under an old log
    assert claims.version(COMPANY) == 8 and claims.holder("f9") == COMPANY
    with pytest.raises(Refused):
        claims.record(claim(PUBLIC_BODY, 0, take=("f9",)))


def _kafka_log(kafka_settings):
    log = KafkaIntegratorLog(kafka_settings.kafka.bootstrap_servers, kafka_settings.topics.integrator_events)

    def read(position):
        consumer = KafkaConsumer(bootstrap_servers=kafka_settings.kafka.bootstrap_servers, enable_auto_commit=False)
        tp = TopicPartition(position.topic, position.partition)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        found = []
        while len(found) <= position.offset:
            found += [decode(r.value) for r in consumer.poll(timeout_ms=1000).get(tp, [])]
        consumer.close()
        return found

    return log, read


@pytest.fixture(params=["memory", "kafka"])
def event_log(request):
    if request.param == "memory":
        log = MemoryLog()
        return log, lambda position: list(log.records)
    return _kafka_log(request.getfixturevalue("kafka_settings"))


def test_the_log_keeps_an_integrators_events_in_order_and_says_where_the_last_landed(event_log, history):
    log, read = event_log
    events = [e for e in history[0] if e.nif == PUBLIC_BODY]
    first = log.append(events[:3])
    last = log.append(events[3:])
    assert (last.topic, last.partition) == (first.topic, first.partition)
    assert last.offset == first.offset + len(events) - 3
    assert read(last) == events
    assert log.append([]) is None


@pytest.fixture(params=["memory", "smtp"])
def mailer(request, free_ports):
    """(mailer, what arrived, a mailer whose relay is down)."""
    if request.param == "memory":
        sent = MemoryMailer()
        yield sent, lambda: sent.sent, MemoryMailer(failing=True)
        return
    port, dead = free_ports(2)
    with smtp_server(port) as inbox:
        def arrived():
            return [(r, m["Subject"], m.get_content().rstrip("\r\n")) for r, m in inbox.received]

        relay = SmtpRelay("127.0.0.1", port, "portal@ventanilla.test")
        yield SmtpMailer(relay), arrived, SmtpMailer(SmtpRelay("127.0.0.1", dead, "portal@ventanilla.test", timeout_s=5))


def test_a_mail_arrives_to_every_address_and_a_dead_relay_raises(mailer):
    send, arrived, dead = mailer
    send.send(("a@ejemplo.es", "b@ejemplo.es"), "Asunto «con» acentos", "Cuerpo en español: ñ, €.")
    assert arrived() == [(("a@ejemplo.es", "b@ejemplo.es"), "Asunto «con» acentos", "Cuerpo en español: ñ, €.")]
    with pytest.raises(OSError):
        dead.send(("a@ejemplo.es",), "x", "y")
