# The rotation audit moves to metrics (docs/decisions.md "Rotation lives in metrics"): the
# model leaves this app's state only; its table and rows stay, metrics.RotationEvent uses it.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('providers', '0003_formats_default_endpoint'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='RotationEvent')],
            database_operations=[],
        ),
    ]
