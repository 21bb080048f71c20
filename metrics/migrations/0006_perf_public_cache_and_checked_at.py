from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("metrics", "0005_probes_settings_runs_item_count"),
    ]

    operations = [
        migrations.CreateModel(
            name="PublicVersion",
            fields=[
                ("model_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("version", models.BigIntegerField()),
            ],
        ),
        migrations.AddField(
            model_name="poolsnapshot",
            name="checked_at",
            field=models.DateTimeField(null=True),
        ),
        # Existing snapshots were last confirmed when they were computed.
        migrations.RunSQL(
            "UPDATE metrics_poolsnapshot SET checked_at = computed_at",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="poolsnapshot",
            name="checked_at",
            field=models.DateTimeField(),
        ),
        migrations.AddField(
            model_name="poolsnapshot",
            name="digest",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
    ]
