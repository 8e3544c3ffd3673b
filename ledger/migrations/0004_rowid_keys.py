"""SQLite keeps the ledger's keys as rowids, and the agency index goes (the register index starts with it).

On SQLite these changes rebuild the tables, which drops their append-only triggers: they are put back last.
"""
import ledger.models
from django.db import migrations, models

from ledger import append_only


def reinstall_triggers(apps, schema_editor):
    append_only.install(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0003_register_index'),
    ]

    operations = [
        migrations.AlterField(
            model_name='event',
            name='agency_code',
            field=models.CharField(blank=True, max_length=64, verbose_name='agency'),
        ),
        migrations.AlterField(
            model_name='event',
            name='seq',
            field=ledger.models.RowIdKey(primary_key=True, serialize=False, verbose_name='sequence number'),
        ),
        migrations.AlterField(
            model_name='merklenode',
            name='key',
            field=ledger.models.RowIdKey(primary_key=True, serialize=False),
        ),
        migrations.RunPython(reinstall_triggers, migrations.RunPython.noop),
    ]
