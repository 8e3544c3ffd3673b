"""The chain of signing keys (append-only like the rest of the ledger), where checkpoints were published, pushes to
the outside witness, and a heartbeat for verification runs. The head row gains its guard against shrinking."""

from django.db import migrations, models

from ledger import append_only


def install(apps, schema_editor):
    append_only.install(schema_editor)


def uninstall(apps, schema_editor):
    # Only what this migration added: the older tables keep their triggers.
    for statement in append_only.drop_sql(schema_editor.connection.vendor, ("ledger_ledgerkey", append_only.HEAD_TABLE)):
        schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0006_leaf_in_event_row'),
    ]

    operations = [
        migrations.CreateModel(
            name='LedgerKey',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('algorithm', models.CharField(max_length=16, verbose_name='signature algorithm')),
                ('public', models.BinaryField(verbose_name='public key')),
                ('key_id', models.CharField(db_index=True, max_length=32, verbose_name='key fingerprint')),
                ('tree_size', models.BigIntegerField(verbose_name='tree size when introduced')),
                ('previous_key_id', models.CharField(blank=True, max_length=32, verbose_name='introduced by key')),
                ('statement', models.TextField(verbose_name='key statement')),
                ('signature', models.BinaryField(verbose_name='signature of the introducing key')),
                ('introduced_at', models.DateTimeField(verbose_name='introduced at')),
            ],
            options={
                'verbose_name': 'signing key',
                'verbose_name_plural': 'signing keys',
                'ordering': ['id'],
            },
        ),
        migrations.CreateModel(
            name='WitnessDelivery',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('channel', models.CharField(max_length=16, verbose_name='channel')),
                ('target', models.CharField(max_length=300, verbose_name='sent to')),
                ('checkpoint_size', models.BigIntegerField(null=True, verbose_name='tree size')),
                ('sent_at', models.DateTimeField(auto_now_add=True, verbose_name='sent at')),
                ('ok', models.BooleanField(verbose_name='delivered')),
                ('error', models.TextField(blank=True, verbose_name='error')),
            ],
            options={
                'verbose_name': 'witness delivery',
                'ordering': ['-id'],
            },
        ),
        migrations.AddField(
            model_name='verificationrun',
            name='heartbeat_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='last progress'),
        ),
        migrations.CreateModel(
            name='Publication',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('checkpoint', 'checkpoint'), ('key', 'signing key')], max_length=16)),
                ('object_id', models.BigIntegerField()),
                ('location', models.CharField(max_length=300)),
                ('published_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('kind', 'object_id'), name='publication_once')],
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
