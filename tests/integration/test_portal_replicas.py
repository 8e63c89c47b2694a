"""Portal replicas in separate processes race on the same integrator and the same certificate: one wins."""
import multiprocessing
import uuid

import pytest

from ventanilla.adapters.topics import ensure_topics
from ventanilla.config import Settings
from ventanilla.domain import integrator_commands as cmd
from ventanilla.domain.integrator_decide import Refused
from ventanilla.domain.integrator_events import Role
from portal_service.handlers import Actor
from tests.support.portal import COMPANY, PUBLIC_BODY, STAFF, build_portal_pki
from tests.support.portal_flows import fingerprint
from tests.support.portal_kafka import certificate_facts, portal_env, sign_up, start_portal

pytestmark = pytest.mark.integration
ROUNDS = 12


def _replica(env, jobs, barrier, results) -> None:
    """One portal process: catch up, then run each job at the same instant as the other replica."""
    process = start_portal(env)
    outcomes = []
    try:
        for actor_nif, command_type, values in jobs:
            barrier.wait(timeout=120)
            try:
                process.portal.run(Actor(actor_nif, actor_nif), command_type, **values)
                outcomes.append("ok")
            except Refused as refused:
                outcomes.append(refused.code)
    finally:
        results.put(outcomes)
        process.stop()


def race(envs, jobs_per_replica) -> list[list[str]]:
    """Run two replicas (spawned processes) over their jobs in lock step; each one's outcomes."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(len(envs)), context.Queue()
    replicas = [context.Process(target=_replica, args=(env, jobs, barrier, results))
                for env, jobs in zip(envs, jobs_per_replica)]
    for replica in replicas:
        replica.start()
    outcomes = [results.get(timeout=300) for _ in replicas]
    for replica in replicas:
        replica.join(timeout=60)
    return outcomes


@pytest.fixture(params=["sqlite", "postgres"])
def claims_target(request, tmp_path):
    if request.param == "sqlite":  # the replicas of one host
        return str(tmp_path / "claims.sqlite3")
    return request.getfixturevalue("claims_dsn")  # replicas on several hosts


@pytest.fixture
def replicas(settings_env, tmp_path, claims_target):
    """The environments of a setup portal and two replicas (own projections, as on separate hosts; shared claims)."""
    portal_pki = build_portal_pki(tmp_path / "pki")
    base = portal_env(settings_env, portal_pki.trust, STAFF, VENTANILLA_PORTAL_CLAIMS=claims_target)
    ensure_topics(Settings.from_env(base))
    envs = [{**base, "VENTANILLA_PORTAL_PROJECTION": str(tmp_path / f"projection-{n}.sqlite3")} for n in range(3)]
    setup = start_portal(envs[0])
    sign_up(setup, COMPANY, "ENTIDAD B", "b@ejemplo.es")
    sign_up(setup, PUBLIC_BODY, "AYUNTAMIENTO Q", "q@ejemplo.es")
    yield portal_pki, setup, envs[1:]
    setup.stop()


def test_the_same_certificate_registered_by_two_integrators_at_once_goes_to_one(replicas):
    portal_pki, setup, envs = replicas
    certificates = [certificate_facts(portal_pki.system_certificate(f"disputado-{n}")) for n in range(ROUNDS)]
    jobs = [[(nif, cmd.RegisterCertificate, {"alias": f"c{n}", "facts": facts, "held_elsewhere": False})
             for n, facts in enumerate(certificates)] for nif in (COMPANY, PUBLIC_BODY)]
    outcomes = race(envs, jobs)
    for n in range(ROUNDS):
        assert sorted(o[n] for o in outcomes) == ["certificate_registered", "ok"], (n, outcomes)
    assert setup.caught_up()
    for facts in certificates:
        holders = [nif for nif in (COMPANY, PUBLIC_BODY)
                   if facts.fingerprint in setup.portal.read_model.integrator(nif).certificates]
        assert len(holders) == 1


def test_two_commands_on_one_integrator_decide_against_each_others_result(replicas):
    portal_pki, setup, envs = replicas
    issued = [portal_pki.system_certificate(f"propio-{n}") for n in range(ROUNDS)]
    for n, certificate in enumerate(issued):
        setup.portal.run(Actor(COMPANY, COMPANY), cmd.RegisterCertificate, alias=f"p{n}",
                         facts=certificate_facts(certificate), held_elsewhere=False)
    jobs = [[(COMPANY, cmd.CreatePlatform, {"platform_id": uuid.uuid4().hex, "name": f"Plataforma {n} de {r}",
                                            "roles": frozenset({Role.SENDING}), "fingerprint": fingerprint(c)})
             for n, c in enumerate(issued)] for r in ("A", "B")]
    outcomes = race(envs, jobs)
    for n in range(ROUNDS):
        assert sorted(o[n] for o in outcomes) == ["certificate_taken", "ok"], (n, outcomes)
    assert setup.caught_up()
    state = setup.portal.read_model.integrator(COMPANY)
    assert len(state.live_platforms()) == ROUNDS
    for certificate in issued:
        assert sum(fingerprint(certificate) in p.certificates for p in state.live_platforms()) == 1
