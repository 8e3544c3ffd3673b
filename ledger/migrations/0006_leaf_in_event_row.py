"""Each event's leaf hash moves from the tree table into the event's own row.

The move rewrites ledger rows, which the append-only triggers refuse: they are lifted for the move and put back.
Migrations run as the tables' owner; the application role's grants (``ledger grants``) are untouched.
"""
from django.db import migrations, models

from ledger import append_only

LEAF_KEYS_END = 1 << 48  # level 0 of MerkleNode.key = level << 48 | index


def move_leaves(apps, schema_editor):
    append_only.uninstall(schema_editor)
    schema_editor.execute('UPDATE ledger_event SET leaf = (SELECT hash FROM ledger_merklenode '
                          'WHERE ledger_merklenode."key" = ledger_event.seq)')
    schema_editor.execute(f'DELETE FROM ledger_merklenode WHERE "key" < {LEAF_KEYS_END}')
    append_only.install(schema_editor)


def restore_leaves(apps, schema_editor):
    append_only.uninstall(schema_editor)
    schema_editor.execute('INSERT INTO ledger_merklenode ("key", hash) SELECT seq, leaf FROM ledger_event '
                          'WHERE leaf IS NOT NULL')
    append_only.install(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0005_fewer_event_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='event',
            name='leaf',
            field=models.BinaryField(null=True, verbose_name='leaf hash'),
        ),
        migrations.RunPython(move_leaves, restore_leaves),
    ]
