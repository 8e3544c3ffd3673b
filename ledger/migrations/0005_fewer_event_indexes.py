"""The event table keeps only the indexes its readers use: by agency and verb, and by object.

On SQLite the change rebuilds the table, which drops its append-only triggers: they are put back last.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from ledger import append_only


def reinstall_triggers(apps, schema_editor):
    append_only.install(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0004_rowid_keys'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='event',
            name='actor',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='actor'),
        ),
        migrations.AlterField(
            model_name='event',
            name='occurred_at',
            field=models.DateTimeField(verbose_name='time'),
        ),
        migrations.AlterField(
            model_name='event',
            name='verb',
            field=models.CharField(max_length=64, verbose_name='action'),
        ),
        migrations.RunPython(reinstall_triggers, migrations.RunPython.noop),
    ]
