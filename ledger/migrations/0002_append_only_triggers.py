from django.db import migrations

from ledger import append_only


def install(apps, schema_editor):
    append_only.install(schema_editor)


def uninstall(apps, schema_editor):
    append_only.uninstall(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall)]
