# metrics.RotationEvent takes over providers' table (db_table kept, no row copied): the state
# is created here without touching the database, and the content type (with its permissions
# and admin log entries) is relabelled instead of a new one being made.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def relabel_content_type(apps, schema_editor, old='providers', new='metrics'):
    ContentType = apps.get_model('contenttypes', 'ContentType')
    types = ContentType.objects.using(schema_editor.connection.alias)
    if not types.filter(app_label=new, model='rotationevent').exists():
        types.filter(app_label=old, model='rotationevent').update(app_label=new)


def relabel_back(apps, schema_editor):
    relabel_content_type(apps, schema_editor, old='metrics', new='providers')


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('metrics', '0008_data_published_pools'),
        ('providers', '0004_rotation_rotationevent_to_metrics'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='RotationEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('old_status', models.CharField(choices=[('active', 'Active'), ('benchmark_hold', 'Benchmark hold'), ('admin_removed', 'Removed by admin')], max_length=20)),
                        ('new_status', models.CharField(choices=[('active', 'Active'), ('benchmark_hold', 'Benchmark hold'), ('admin_removed', 'Removed by admin')], max_length=20)),
                        ('actor', models.CharField(choices=[('benchmark_range', 'Benchmark range rule (METHODOLOGY §6)'), ('admin', 'Admin'), ('system', 'System')], max_length=20)),
                        ('reason', models.TextField()),
                        ('figures', models.JSONField(blank=True, default=dict)),
                        ('source', models.CharField(blank=True, help_text='Who or what made the change: user:<name>, api key <name>, or rule:<rule> run:<id> (METHODOLOGY §9).', max_length=160)),
                        ('endpoint', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='rotation_events', to='providers.endpoint')),
                        ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'providers_rotationevent',
                        'ordering': ['-at', '-id'],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(relabel_content_type, relabel_back, elidable=True),
    ]
