"""PostgreSQL only: `metrics_toolcallrollup` becomes partitioned by month of `day`
(metrics/services/partitions.py). SQLite keeps the plain table; Django's model is unchanged."""

from datetime import date

from django.db import migrations
from django.utils import timezone

OLD = "metrics_toolcallrollup_unpartitioned"


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from metrics.services.partitions import MONTHS_AHEAD, TABLE, months, partition_sql

    today = timezone.now().date()
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(day) FROM {TABLE}")  # noqa: S608
        first = cursor.fetchone()[0] or today
        last = date(today.year + (today.month + MONTHS_AHEAD - 1) // 12,
                    (today.month + MONTHS_AHEAD - 1) % 12 + 1, 1)
        cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {OLD}")
        cursor.execute(f"CREATE TABLE {TABLE} (LIKE {OLD} INCLUDING DEFAULTS INCLUDING "
                       "CONSTRAINTS INCLUDING IDENTITY) PARTITION BY RANGE (day)")
        for month in months(min(first, today), last):
            cursor.execute(partition_sql(month))
        cursor.execute(f"CREATE TABLE {TABLE}_default PARTITION OF {TABLE} DEFAULT")
        cursor.execute(f"INSERT INTO {TABLE} SELECT * FROM {OLD}")  # noqa: S608
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{TABLE}', 'id'), "
                       f"COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {TABLE}")  # noqa: S608
        cursor.execute(f"DROP TABLE {OLD}")
        # The names Django gave them (0001, 0009), so later migrations still find them.
        cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_pkey PRIMARY KEY (id, day)")
        cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT uniq_rollup "
                       "UNIQUE (endpoint_id, app, bucket, day, generation)")
        cursor.execute(f"CREATE INDEX metrics_too_day_e54d70_idx ON {TABLE} (day, endpoint_id)")
        cursor.execute(f"CREATE INDEX rollup_endpoint_day ON {TABLE} (endpoint_id, day)")
        cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT "
                       "metrics_toolcallroll_endpoint_id_10bf0f00_fk_providers "
                       "FOREIGN KEY (endpoint_id) REFERENCES providers_endpoint (id) "
                       "DEFERRABLE INITIALLY DEFERRED")


class Migration(migrations.Migration):

    dependencies = [
        ("metrics", "0011_reads_day_totals"),
    ]

    operations = [
        migrations.RunPython(partition, migrations.RunPython.noop),
    ]
