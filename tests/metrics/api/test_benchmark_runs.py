"""Contract: POST /api/v1/benchmark-runs/ and the rotation it decides (API.md, METHODOLOGY §6)."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from metrics.choices import RotationActor
from metrics.models import Benchmark, BenchmarkRun, RotationEvent
from metrics.services.rotation import set_rotation
from providers.models import Endpoint, ProviderUser
from tests.metrics.api.helpers import MODEL, endpoint_row, now_iso, posted

pytestmark = pytest.mark.django_db

REF = "author-api"
HOST = "cheaphost"
_counter = iter(range(10**6))


def run(provider, score, *, benchmark="aime25", stderr=None, hours_ago=1, run_id=None, **extra):
    item = {"id": run_id or f"run-{provider}-{next(_counter)}", "model": MODEL, "provider": provider,
            "benchmark": benchmark, "score": score, "source": "internal",
            "run_at": now_iso(-timedelta(hours=hours_ago)), **extra}
    if stderr is not None:
        item["stderr"] = stderr
    return item


def post_runs(client, runs):
    return posted(client, runs, "/api/v1/benchmark-runs/", "runs")


def status_of(client, provider):
    row = endpoint_row(client, provider=provider)
    return row["rotation_status"], row["in_rotation"]


@pytest.fixture
def endpoints(admin_client_api):
    # An admin registers: only admins mark a reference, and what they name is approved.
    for provider, reference in ((REF, True), (HOST, False)):
        admin_client_api.post("/api/v1/endpoints/", {"model": MODEL, "provider": provider,
                                                     "reference": reference}, format="json")
    return {e.provider.slug: e for e in Endpoint.objects.select_related("provider")}


def test_runs_are_stored_and_unknown_benchmark_created_with_tolerance_3(ingest_client, endpoints):
    assert not Benchmark.objects.filter(slug="brand-new-bench").exists()
    body = post_runs(ingest_client, [run(REF, 80.0, benchmark="brand-new-bench", stderr=1.0,
                                         samples=100, run_id="r1")])
    assert body == {"accepted": 1, "duplicates": 0, "rejected": []}
    benchmark = Benchmark.objects.get(slug="brand-new-bench")
    assert benchmark.tolerance == 3 and benchmark.higher_is_better is True
    stored = BenchmarkRun.objects.get(external_id="r1")
    assert (stored.score, stored.stderr, stored.samples, stored.source) == (80.0, 1.0, 100, "internal")


def test_duplicate_ids_are_counted_and_not_stored_twice(ingest_client, endpoints):
    batch = [run(REF, 80.0, run_id="dup"), run(HOST, 79.0, run_id="dup")]
    assert post_runs(ingest_client, batch) == {"accepted": 1, "duplicates": 1, "rejected": []}
    assert post_runs(ingest_client, batch[:1]) == {"accepted": 0, "duplicates": 1, "rejected": []}
    assert BenchmarkRun.objects.filter(external_id="dup").count() == 1


def test_bad_runs_are_rejected_with_index_and_id(ingest_client, endpoints):
    body = post_runs(ingest_client, [
        run(REF, 80.0, run_id="fine"),
        run(REF, 101.0, run_id="too-high"),
        run(REF, "high", run_id="not-number"),
        run(REF, 80.0, run_id="neg-se", stderr=-1),
        run("unregistered", 80.0, run_id="stranger"),
        run(REF, 80.0, run_id="bad-bench", benchmark="Bad Bench!"),
        run(REF, 80.0, run_id="future", hours_ago=-48),
        [1, 2],
    ])
    assert body["accepted"] == 1
    assert sorted((r["index"], r["id"] or "") for r in body["rejected"]) == [
        (1, "too-high"), (2, "not-number"), (3, "neg-se"), (4, "stranger"), (5, "bad-bench"),
        (6, "future"), (7, "")]
    assert all(r["error"] for r in body["rejected"])


def test_run_below_reference_minus_tolerance_holds_then_in_range_run_restores(
    ingest_client, admin_client_api, endpoints
):
    post_runs(ingest_client, [run(REF, 80.0, hours_ago=5), run(HOST, 76.9, hours_ago=4)])
    assert status_of(admin_client_api, HOST) == ("benchmark_hold", False)
    assert status_of(admin_client_api, REF) == ("active", True)

    post_runs(ingest_client, [run(HOST, 78.0, hours_ago=1)])
    assert status_of(admin_client_api, HOST) == ("active", True)

    events = list(RotationEvent.objects.filter(endpoint=endpoints[HOST]).order_by("at", "id"))
    assert [(e.old_status, e.new_status, e.actor) for e in events] == [
        ("active", "benchmark_hold", RotationActor.BENCHMARK_RULE),
        ("benchmark_hold", "active", RotationActor.BENCHMARK_RULE)]
    held = events[0]
    assert "76.9" in held.reason and "80" in held.reason
    verdict = held.figures["verdicts"][0]
    assert verdict["benchmark"] == "aime25" and verdict["in_range"] is False
    assert verdict["score"] == 76.9 and verdict["reference"] == 80.0
    assert verdict["threshold"] == pytest.approx(77.0) and verdict["kind"] == "reference"


def test_score_exactly_at_threshold_stays_active(ingest_client, admin_client_api, endpoints):
    post_runs(ingest_client, [run(REF, 80.0, hours_ago=5), run(HOST, 77.0, hours_ago=4)])
    assert status_of(admin_client_api, HOST) == ("active", True)
    assert not RotationEvent.objects.exists()


def test_new_reference_run_moves_other_endpoints(ingest_client, admin_client_api, endpoints):
    post_runs(ingest_client, [run(REF, 80.0, hours_ago=5), run(HOST, 78.0, hours_ago=4)])
    assert status_of(admin_client_api, HOST) == ("active", True)
    post_runs(ingest_client, [run(REF, 85.0, hours_ago=1)])
    assert status_of(admin_client_api, HOST) == ("benchmark_hold", False)


def test_stderr_widens_the_threshold_when_larger_than_tolerance(
    ingest_client, admin_client_api, endpoints
):
    # 2·sqrt(2² + 1.5²) = 5 > 3: threshold 75.
    post_runs(ingest_client, [run(REF, 80.0, stderr=1.5, hours_ago=5),
                              run(HOST, 75.5, stderr=2.0, hours_ago=4)])
    assert status_of(admin_client_api, HOST) == ("active", True)
    post_runs(ingest_client, [run(HOST, 74.9, stderr=2.0, hours_ago=2)])
    assert status_of(admin_client_api, HOST) == ("benchmark_hold", False)
    verdict = RotationEvent.objects.get(endpoint=endpoints[HOST]).figures["verdicts"][0]
    assert verdict["threshold"] == pytest.approx(75.0)


def test_small_stderr_keeps_the_tolerance(ingest_client, admin_client_api, endpoints):
    # 2·sqrt(0.5² + 0.5²) ≈ 1.41 < 3: threshold 77.
    post_runs(ingest_client, [run(REF, 80.0, stderr=0.5, hours_ago=5),
                              run(HOST, 76.0, stderr=0.5, hours_ago=4)])
    assert status_of(admin_client_api, HOST) == ("benchmark_hold", False)


def test_median_is_the_reference_without_a_reference_endpoint(ingest_client, admin_client_api):
    for provider in ("a-host", "b-host", "c-host"):  # approved: an admin registers them
        admin_client_api.post("/api/v1/endpoints/", {"model": MODEL, "provider": provider},
                              format="json")
    post_runs(ingest_client, [run("a-host", 80.0), run("b-host", 79.0), run("c-host", 75.0)])
    # Median 79, threshold 76: c-host is out, the others are in.
    assert status_of(admin_client_api, "a-host") == ("active", True)
    assert status_of(admin_client_api, "b-host") == ("active", True)
    assert status_of(admin_client_api, "c-host") == ("benchmark_hold", False)
    event = RotationEvent.objects.get(endpoint__provider__slug="c-host")
    assert event.figures["verdicts"][0]["kind"] == "median"
    assert event.figures["verdicts"][0]["reference"] == 79.0


def test_admin_removal_survives_a_good_run(ingest_client, admin_client_api, endpoints):
    set_rotation(endpoints[HOST], "admin_removed", "suspicious outputs")
    post_runs(ingest_client, [run(REF, 80.0, hours_ago=5), run(HOST, 80.0, hours_ago=4)])
    assert status_of(admin_client_api, HOST) == ("admin_removed", False)
    post_runs(ingest_client, [run(HOST, 60.0, hours_ago=2)])
    assert status_of(admin_client_api, HOST) == ("admin_removed", False)
    assert list(RotationEvent.objects.filter(endpoint=endpoints[HOST]).values_list("actor", flat=True)) \
        == [RotationActor.ADMIN]


@pytest.fixture
def host_user(endpoints):
    """A user of the held host's provider, with an empty outbox."""
    user = get_user_model().objects.create_user("ops", email="ops@cheaphost.example", password="x")
    ProviderUser.objects.create(user=user, provider=endpoints[HOST].provider)
    mail.outbox.clear()


def test_provider_users_are_emailed_on_hold_and_restore(
    ingest_client, endpoints, host_user, django_capture_on_commit_callbacks
):

    with django_capture_on_commit_callbacks(execute=True):
        post_runs(ingest_client, [run(REF, 80.0, hours_ago=5), run(HOST, 70.0, hours_ago=4)])
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ops@cheaphost.example"]
    assert "out of rotation" in mail.outbox[0].subject

    with django_capture_on_commit_callbacks(execute=True):
        post_runs(ingest_client, [run(HOST, 79.0, hours_ago=1)])
    assert len(mail.outbox) == 2
    assert "back in rotation" in mail.outbox[1].subject


def test_no_email_when_rotation_does_not_change(
    ingest_client, endpoints, host_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_runs(ingest_client, [run(REF, 80.0, hours_ago=5), run(HOST, 79.0, hours_ago=4)])
    assert mail.outbox == []


def test_burn_in_answers_each_visible_run_as_a_point_by_benchmark_and_endpoint(
        admin_client_api, endpoints):
    """GET /burn-in/: {benchmark: {"provider (quantization)": [points in run order]}}."""
    post_runs(admin_client_api, [run(HOST, 70.5, stderr=1.5, samples=30, hours_ago=48),
                                 run(HOST, 71.0, hours_ago=24), run(REF, 90.0, hours_ago=2)])
    endpoints[HOST].model.__class__.objects.filter(slug=MODEL).update(released=None)
    body = admin_client_api.get("/api/v1/burn-in/", {"model": MODEL}).json()
    runs = {r.score: r for r in BenchmarkRun.objects.all()}
    # Registered without a quantization: the label is the provider alone.
    assert endpoints[HOST].quantization == endpoints[REF].quantization == ""

    def point(score, stderr=None, samples=None):
        return {"days_since_release": None, "run_at": runs[score].run_at.isoformat(),
                "score": score, "stderr": stderr, "samples": samples, "source": "internal",
                "published": False}  # posted runs wait for publication; admins see them

    assert body["benchmarks"] == {"aime25": {
        HOST: [point(70.5, 1.5, 30), point(71.0)], REF: [point(90.0)],
    }}
