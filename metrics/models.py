"""What is measured and decided: rollups, benchmark runs, ignores, pool snapshots.

Pages and the API read rollups and snapshots only, never raw events, so a read
costs the same at a thousand events or a billion (docs/design.md).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from providers.choices import RotationStatus
from providers.models import Endpoint, LLMModel, Provider

from .choices import (
    Bucket,
    IgnoreAction,
    IngestKind,
    Outcome,
    OverrideAction,
    PoolChangeKind,
    ProbeTrigger,
    RecomputeTrigger,
    RotationActor,
    Tier,
)


class Benchmark(models.Model):
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=128, blank=True)
    unit = models.CharField(max_length=16, default="%")
    higher_is_better = models.BooleanField(default=True)
    tolerance = models.FloatField(default=3.0, help_text="Points below the reference still in range.")
    item_count = models.PositiveIntegerField(
        null=True, blank=True,
        help_text="Questions in the benchmark (AIME 2025: 30). A run without a standard error "
                  "or sample count gets a binomial one from this (METHODOLOGY §6).")
    description = models.TextField(blank=True)
    link = models.URLField(blank=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name or self.slug


class BenchmarkRun(models.Model):
    # Idempotency ids are scoped per API key (METHODOLOGY §9): `id_scope` names the key
    # ("key:<pk>"), or the importer/command; "" marks runs stored before ids were scoped.
    id_scope = models.CharField(max_length=64, blank=True, default="", db_default="")
    external_id = models.CharField(max_length=200)
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="benchmark_runs")
    benchmark = models.ForeignKey(Benchmark, on_delete=models.CASCADE, related_name="runs")
    score = models.FloatField()
    stderr = models.FloatField(null=True, blank=True)
    samples = models.PositiveIntegerField(null=True, blank=True)
    source = models.CharField(max_length=128, blank=True)
    run_at = models.DateTimeField(db_index=True)
    detail = models.JSONField(default=dict, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-run_at", "-id"]
        indexes = [models.Index(fields=["benchmark", "endpoint", "-run_at"])]
        constraints = [
            models.UniqueConstraint(fields=["id_scope", "external_id"], name="uniq_run_id")
        ]

    def __str__(self) -> str:
        return f"{self.benchmark.slug} {self.score:g} for {self.endpoint} on {self.run_at:%Y-%m-%d}"


# The counters of a rollup row, in one place for ingestion (writes) and selectors (reads).
ROLLUP_COUNTS = (
    "requests_with_tools",
    "errored_requests",
    "propensity_requests",
    "propensity_requests_with_calls",
    "calls",
    "valid",
    "unchecked",
    "invalid_json",
    "unknown_tool",
    "schema_mismatch",
    "other",
)


class RotationEvent(models.Model):
    """Audit log: every change of an endpoint's rotation, by whom or which rule, and why.

    Written only by metrics/services/rotation.py. The table keeps its name from when the
    model lived in ``providers`` (moved without copying a row, docs/decisions.md)."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="rotation_events")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    old_status = models.CharField(max_length=20, choices=RotationStatus.choices)
    new_status = models.CharField(max_length=20, choices=RotationStatus.choices)
    actor = models.CharField(max_length=20, choices=RotationActor.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    reason = models.TextField()
    figures = models.JSONField(default=dict, blank=True)
    source = models.CharField(
        max_length=160, blank=True,
        help_text="Who or what made the change: user:<name>, api key <name>, or "
        "rule:<rule> run:<id> (METHODOLOGY §9).",
    )

    class Meta:
        db_table = "providers_rotationevent"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.endpoint}: {self.old_status} → {self.new_status}"


class ToolCallRollup(models.Model):
    """Daily counts per endpoint × app × complexity bucket (METHODOLOGY §1–§4).

    `generation` is the endpoint's publication that makes the row public: ingestion writes
    `endpoint.publication + 1`, and public readers sum only rows with
    `day <= published_until AND generation <= publication`. Counts that arrive after a
    publication (late events, backfills, the rest of a day published "through today") land
    in a newer generation, visible to the provider and admins at once and to the public
    only from the next publication on (METHODOLOGY §8).
    """

    # Indexed with the day below: reads select an endpoint's window, never all its days.
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="rollups",
                                 db_index=False)
    app = models.CharField(max_length=128, blank=True, default="")
    bucket = models.CharField(max_length=8, choices=Bucket.choices)
    day = models.DateField()
    generation = models.PositiveIntegerField(default=0, db_default=0)
    requests_with_tools = models.PositiveIntegerField(default=0)
    errored_requests = models.PositiveIntegerField(default=0)
    propensity_requests = models.PositiveIntegerField(default=0)
    propensity_requests_with_calls = models.PositiveIntegerField(default=0)
    calls = models.PositiveIntegerField(default=0)
    valid = models.PositiveIntegerField(default=0)
    unchecked = models.PositiveIntegerField(default=0)
    invalid_json = models.PositiveIntegerField(default=0)
    unknown_tool = models.PositiveIntegerField(default=0)
    schema_mismatch = models.PositiveIntegerField(default=0)
    # Calls of non-function tools: not part of `calls` (METHODOLOGY §1).
    other = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "app", "bucket", "day", "generation"],
                                    name="uniq_rollup")
        ]
        indexes = [models.Index(fields=["day", "endpoint"]),
                   models.Index(fields=["endpoint", "day"], name="rollup_endpoint_day")]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.app or '-'} {self.bucket} {self.day}"


class ToolCallDayTotal(models.Model):
    """ToolCallRollup summed over apps: one row per endpoint × day × bucket × generation,
    holding the raw sums and the capped sums (§4: each app-day scaled by
    min(1, cap / its requests)) of every rollup row of that endpoint and day with
    `generation <= this generation` — cumulative, because the cap makes capped sums of
    two generations not add up. `next_generation` is the generation of the next cumulative
    row of the same endpoint and day (NULL for the newest), so a reader picks the one row
    it may see by a filter alone — public: `generation <= publication < next_generation`;
    private: `next_generation IS NULL` — and a window costs endpoints × days × buckets rows
    whatever the number of apps; a publication rewrites nothing.

    Written by `metrics.services.upserts.refresh_day_totals` whenever rollups change (two
    statements per batch for the keys it touched). `cap` is the setting the capped sums were
    computed with; a reader under another cap sums those days' rollups instead, so a new
    cap restates every figure at once (docs/decisions.md)."""

    pk = models.CompositePrimaryKey("endpoint", "day", "bucket", "generation")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="day_totals",
                                 db_index=False)
    day = models.DateField()
    bucket = models.CharField(max_length=8, choices=Bucket.choices)
    generation = models.PositiveIntegerField(default=0)
    next_generation = models.PositiveIntegerField(null=True, blank=True)
    cap = models.PositiveIntegerField()
    requests_with_tools = models.BigIntegerField(default=0)
    errored_requests = models.BigIntegerField(default=0)
    propensity_requests = models.BigIntegerField(default=0)
    propensity_requests_with_calls = models.BigIntegerField(default=0)
    calls = models.BigIntegerField(default=0)
    valid = models.BigIntegerField(default=0)
    unchecked = models.BigIntegerField(default=0)
    invalid_json = models.BigIntegerField(default=0)
    unknown_tool = models.BigIntegerField(default=0)
    schema_mismatch = models.BigIntegerField(default=0)
    other = models.BigIntegerField(default=0)
    capped_requests_with_tools = models.FloatField(default=0)
    capped_errored_requests = models.FloatField(default=0)
    capped_propensity_requests = models.FloatField(default=0)
    capped_propensity_requests_with_calls = models.FloatField(default=0)
    capped_calls = models.FloatField(default=0)
    capped_valid = models.FloatField(default=0)
    capped_unchecked = models.FloatField(default=0)
    capped_invalid_json = models.FloatField(default=0)
    capped_unknown_tool = models.FloatField(default=0)
    capped_schema_mismatch = models.FloatField(default=0)
    capped_other = models.FloatField(default=0)

    def __str__(self) -> str:
        return f"{self.endpoint_id} {self.day} {self.bucket} ≤g{self.generation}"


class SpeedRollup(models.Model):
    """Daily speed histograms per endpoint (METHODOLOGY §10): one row per endpoint × day ×
    log bucket (metrics/histogram.py), counting the latencies, TTFTs and throughputs of ok
    requests that fell in it.

    The three metrics share the bucket scale, so a value of any of them lands in the same
    row as equal values of the others: a batch upserts as few rows as the distinct values
    it brings. Rows only grow by upsert (`n = n + excluded.n`), and a window's histogram
    is `SUM(…) GROUP BY bucket` — the same SQL on PostgreSQL and SQLite. The key is the
    primary key: one index to maintain per row, no sequence. `generation` holds late
    arrivals back from the public until the next publication, as on ToolCallRollup (§8).
    """

    pk = models.CompositePrimaryKey("endpoint", "day", "bucket", "generation")
    # No index of its own: the primary key starts with it.
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="speed_rollups",
                                 db_index=False)
    day = models.DateField()
    bucket = models.SmallIntegerField()
    generation = models.PositiveIntegerField(default=0, db_default=0)
    latency = models.PositiveIntegerField(default=0, help_text="ok requests' latencies here.")
    ttft = models.PositiveIntegerField(default=0, help_text="ok requests' TTFTs here.")
    throughput = models.PositiveIntegerField(default=0, help_text="ok requests' throughputs here.")

    def __str__(self) -> str:
        return f"{self.endpoint_id} {self.day} [{self.bucket}]"


class AvailabilityRollup(models.Model):
    """Daily request status counts per endpoint, for uptime (METHODOLOGY §10); `generation`
    as on ToolCallRollup (§8)."""

    pk = models.CompositePrimaryKey("endpoint", "day", "generation")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE,
                                 related_name="availability_rollups", db_index=False)
    day = models.DateField()
    generation = models.PositiveIntegerField(default=0, db_default=0)
    ok = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    timeouts = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.endpoint_id} {self.day}: {self.ok}/{self.errors}/{self.timeouts}"


class EventKey(models.Model):
    """Idempotency record: an event id once stored by one API key is a duplicate for that key.

    `scope` names the key ("key:<pk>") or the command; ids are scoped per key so two gateways
    may use the same ids (METHODOLOGY §9). "" marks keys stored before ids were scoped: they
    still count as duplicates for every sender until they expire.
    """

    kind = models.CharField(max_length=16, choices=IngestKind.choices)
    scope = models.CharField(max_length=64, blank=True, default="", db_default="")
    key = models.CharField(max_length=200)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "scope", "key"], name="uniq_event_key")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"


class FailureSample(models.Model):
    """A bounded sample of failing calls per endpoint × day × outcome, for providers to debug."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="failure_samples")
    day = models.DateField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    event_id = models.CharField(max_length=200)
    app = models.CharField(max_length=128, blank=True)
    tool_name = models.CharField(max_length=200, blank=True)
    parameters = models.JSONField(null=True, blank=True)
    arguments = models.TextField(blank=True)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "-id"]
        indexes = [models.Index(fields=["endpoint", "day", "outcome"])]

    def __str__(self) -> str:
        return f"{self.outcome} {self.tool_name} ({self.endpoint}, {self.day})"


class UserActivity(models.Model):
    """A (hashed) user sent tool requests for a model on a day (METHODOLOGY §5 denominators)."""

    model = models.ForeignKey(LLMModel, on_delete=models.CASCADE, related_name="user_activity")
    user_hash = models.CharField(max_length=64)
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["model", "user_hash", "day"], name="uniq_user_activity")
        ]
        verbose_name_plural = "user activity"

    def __str__(self) -> str:
        return f"{self.user_hash[:8]}… on {self.day}"


class IgnoreEvent(models.Model):
    id_scope = models.CharField(max_length=64, blank=True, default="", db_default="")
    external_id = models.CharField(max_length=200)
    user_hash = models.CharField(max_length=64, db_index=True)
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="ignore_events")
    model = models.ForeignKey(
        LLMModel, null=True, blank=True, on_delete=models.CASCADE, related_name="ignore_events"
    )
    action = models.CharField(max_length=8, choices=IgnoreAction.choices)
    created = models.DateTimeField(db_index=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["id_scope", "external_id"], name="uniq_ignore_id")
        ]

    def __str__(self) -> str:
        scope = self.model.slug if self.model_id else "all models"
        return f"{self.action} {self.provider.slug} ({scope})"


class IgnoreState(models.Model):
    """Whether a user currently ignores a provider, for one model or all ("*").

    Derived from IgnoreEvent in time order: an older event never overwrites a newer one.
    """

    user_hash = models.CharField(max_length=64)
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="ignore_states")
    model = models.ForeignKey(LLMModel, null=True, blank=True, on_delete=models.CASCADE)
    scope = models.CharField(max_length=128, help_text="Model slug, or * for all models.")
    ignoring = models.BooleanField()
    as_of = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user_hash", "provider", "scope"], name="uniq_ignore_state"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_hash[:8]}… {'ignores' if self.ignoring else 'uses'} {self.scope}"


class IngestBatch(models.Model):
    """One accepted API call or import: who sent what, when (admin overview, audits)."""

    kind = models.CharField(max_length=16, choices=IngestKind.choices)
    source = models.CharField(max_length=128, help_text="Token name, command or importer.")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    accepted = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-at"]
        verbose_name_plural = "ingest batches"

    def __str__(self) -> str:
        return f"{self.kind} from {self.source} at {self.at:%Y-%m-%d %H:%M}"


class PoolOverride(models.Model):
    """An admin's force-in or force-out of an endpoint, which wins over the rules (§7)."""

    endpoint = models.OneToOneField(Endpoint, on_delete=models.CASCADE, related_name="override")
    action = models.CharField(max_length=10, choices=OverrideAction.choices)
    reason = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.endpoint}"


class PoolSnapshot(models.Model):
    """The result of one recompute of a model's exacto pool."""

    model = models.ForeignKey(LLMModel, on_delete=models.CASCADE, related_name="pool_snapshots")
    sequence = models.PositiveIntegerField()
    computed_at = models.DateTimeField(db_index=True)
    # The last recompute that found this snapshot still current (API.md 1.1 `computed_at`:
    # a recompute that changes nothing writes no snapshot but records when it ran).
    checked_at = models.DateTimeField()
    # sha256 of the verdicts and shared figures as decided: a recompute that finds the same
    # digest writes nothing new.
    digest = models.CharField(max_length=64, blank=True, default="")
    trigger = models.CharField(max_length=10, choices=RecomputeTrigger.choices)
    fallback = models.BooleanField(default=False)
    figures = models.JSONField(default=dict, help_text="Shared figures: best bound, ranges.")

    class Meta:
        ordering = ["-computed_at", "-sequence"]
        get_latest_by = "sequence"
        constraints = [
            models.UniqueConstraint(fields=["model", "sequence"], name="uniq_snapshot_sequence")
        ]

    def __str__(self) -> str:
        return f"{self.model.slug} #{self.sequence} at {self.computed_at:%Y-%m-%d %H:%M}"


class PoolVerdict(models.Model):
    snapshot = models.ForeignKey(PoolSnapshot, on_delete=models.CASCADE, related_name="verdicts")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="pool_verdicts")
    tier = models.CharField(max_length=10, choices=Tier.choices)
    member = models.BooleanField()
    position = models.PositiveIntegerField(null=True, blank=True, help_text="Order in the pool.")
    forced = models.CharField(max_length=10, choices=OverrideAction.choices, blank=True)
    failed = models.JSONField(default=list)
    detail = models.JSONField(default=dict, help_text="Rules, reasons and figures as decided.")
    accuracy_lower = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["snapshot", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "endpoint"], name="uniq_verdict")
        ]

    def __str__(self) -> str:
        return f"{self.endpoint_id}: {self.tier}{' (member)' if self.member else ''}"


class PoolChange(models.Model):
    snapshot = models.ForeignKey(PoolSnapshot, on_delete=models.CASCADE, related_name="changes")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="pool_changes")
    change = models.CharField(max_length=8, choices=PoolChangeKind.choices)
    rules = models.JSONField(default=list)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-snapshot__computed_at", "id"]

    def __str__(self) -> str:
        return f"{self.endpoint_id} {self.change}"


env_var_validator = RegexValidator(
    r"^[A-Za-z_][A-Za-z0-9_]{0,127}$", "The name of an environment variable, e.g. GROQ_API_KEY.")


def _default_suite() -> str:
    return settings.EXACTO_PROBE_DEFAULT_SUITE


def _default_every_hours() -> int:
    return settings.EXACTO_PROBE_EVERY_HOURS


class ProbeSettings(models.Model):
    """How an endpoint is probed (METHODOLOGY §11). The API key is never stored: only the
    name of the environment variable that holds it on the machines running probes."""

    endpoint = models.OneToOneField(Endpoint, on_delete=models.CASCADE,
                                    related_name="probe_settings")
    base_url = models.URLField(max_length=500, help_text="OpenAI-compatible base URL, e.g. "
                               "https://api.example.com/v1 (…/chat/completions is appended).")
    upstream_model = models.CharField(
        max_length=200, blank=True,
        help_text="Model id the provider expects; blank sends the model's slug.")
    api_key_env = models.CharField(
        max_length=128, blank=True, validators=[env_var_validator],
        help_text="Name of the environment variable holding the API key (never the key).")
    suite = models.CharField(max_length=48, default=_default_suite)
    every_hours = models.PositiveIntegerField(
        default=_default_every_hours,
        help_text="Schedule: probe again this many hours after the last start.")
    enabled = models.BooleanField(default=True, help_text="Probe on the schedule.")
    last_started_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "probe settings"
        verbose_name_plural = "probe settings"

    def __str__(self) -> str:
        return f"probe {self.endpoint} with {self.suite}"

    def clean(self):
        from metrics.services.probes import suite_error  # services import this module

        error = suite_error(self.suite)
        if error:
            raise ValidationError({"suite": error})


class ProbeRun(models.Model):
    """One probe run of an endpoint: counts, scores, and each case's decision."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="probe_runs")
    suite = models.CharField(max_length=48)
    suite_version = models.CharField(max_length=32)
    trigger = models.CharField(max_length=10, choices=ProbeTrigger.choices)
    base_url = models.CharField(max_length=500)
    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    cases = models.PositiveIntegerField(default=0)
    ok = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0, help_text="HTTP errors and unusable answers.")
    timeouts = models.PositiveIntegerField(default=0)
    calls = models.PositiveIntegerField(default=0)
    valid = models.PositiveIntegerField(default=0)
    unchecked = models.PositiveIntegerField(default=0)
    invalid_json = models.PositiveIntegerField(default=0)
    unknown_tool = models.PositiveIntegerField(default=0)
    schema_mismatch = models.PositiveIntegerField(default=0)
    schema_accuracy = models.FloatField(null=True, blank=True)
    tool_call_f1 = models.FloatField(null=True, blank=True)
    f1_against = models.CharField(max_length=200, blank=True,
                                  help_text="The reference probe run, or the suite's expectations.")
    tp = models.PositiveIntegerField(default=0)
    fp = models.PositiveIntegerField(default=0)
    fn = models.PositiveIntegerField(default=0)
    tn = models.PositiveIntegerField(default=0)
    decisions = models.JSONField(default=dict, blank=True,
                                 help_text="{case id: called a tool (null: no answer)}")
    failures = models.JSONField(default=list, blank=True, help_text="Errors and timeouts, bounded.")

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["endpoint", "suite", "-started_at"])]

    def __str__(self) -> str:
        return f"probe run {self.pk} of {self.endpoint} ({self.suite})"

    @property
    def label(self) -> str:
        """How audits and run details name this run."""
        return f"probe run {self.pk} ({self.suite} {self.suite_version})"


class PublicVersion(models.Model):
    """What public readers see of one model, as a number that changes whenever it does.

    Bumped in the same transaction by everything that changes a public figure of the model
    (publication, recompute, rotation, approval, catalogue edits, ignores, benchmark runs):
    public reads are cached under it (`metrics.public_cache`). A row starts at a random
    value, so a restored or re-created database never meets its old cache entries, and rows
    are never deleted (a deleted model's row is bumped instead), so the sum over all rows
    changes whenever any row does.
    """

    model_id = models.BigIntegerField(primary_key=True)
    version = models.BigIntegerField()

    def __str__(self) -> str:
        return f"model {self.model_id}: {self.version}"


class PublishedPool(models.Model):
    """The §7 judgement of a model on its published figures alone, taken at a publication.

    Routing pools (PoolSnapshot) are judged on all data, embargoed days included, so
    outsiders cannot recompute them. This record is the one they can: its inputs are the
    public figures at the moment of publication, kept here with the settings in force, and
    exported (open data) beside the day rows they were summed from.
    """

    model = models.ForeignKey(LLMModel, on_delete=models.CASCADE, related_name="published_pools")
    sequence = models.PositiveIntegerField()
    computed_at = models.DateTimeField(db_index=True)
    settings = models.JSONField(default=dict, help_text="The §4/§7 settings in force.")
    figures = models.JSONField(default=dict, help_text="Best lower bound, band, threshold, pool.")
    verdicts = models.JSONField(default=list, help_text="Per endpoint: inputs and verdict.")

    class Meta:
        ordering = ["-computed_at", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["model", "sequence"], name="uniq_published_pool")
        ]

    def __str__(self) -> str:
        return f"{self.model.slug} published pool #{self.sequence} at {self.computed_at:%Y-%m-%d %H:%M}"


class AppMatchedFigures(models.Model):
    """§4's app-matched accuracy of one model's endpoints as published-only readers see it,
    stored with the key of everything it is computed from (metrics.selectors.app_matched).

    The figure reads a row per endpoint × app × day, the only part of a model page that
    grows with apps. Its inputs — each endpoint's published window and publication, the cap
    — are few, and the rows they select never change: ingestion writes only generations not
    yet published (ToolCallRollup). So a reader whose key equals the stored one reads the
    figures here; any other key (a publication, a day later, another cap or set of
    endpoints) computes them afresh and replaces the row. Readers who see unpublished days
    always compute.
    """

    model = models.OneToOneField(LLMModel, on_delete=models.CASCADE, primary_key=True,
                                 related_name="+")
    key = models.CharField(max_length=64)
    figures = models.JSONField(default=dict, help_text="Per endpoint id: delta, apps, weight.")
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"app-matched figures of model {self.model_id} ({self.key[:8]})"
