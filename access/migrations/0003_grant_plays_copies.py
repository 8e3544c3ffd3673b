from django.db import migrations, models

# access.rules.PLAY_ACTIONS and COPY_ACTIONS when this migration was written.
PLAY = {"view", "excerpt", "borrow"}
COPY = {"photocopy", "duplicate", "copy_out", "mail"}


def fill(apps, schema_editor):
    AccessRequest = apps.get_model("access", "AccessRequest")
    for request in AccessRequest.objects.only("pk", "actions").iterator():
        actions = set(request.actions or ())
        AccessRequest.objects.filter(pk=request.pk).update(plays=bool(actions & PLAY), copies=bool(actions & COPY))


class Migration(migrations.Migration):

    dependencies = [
        ("access", "0002_package_exports"),
    ]

    operations = [
        migrations.AddField(
            model_name="accessrequest",
            name="plays",
            field=models.BooleanField(default=False, verbose_name="shows content inside the system"),
        ),
        migrations.AddField(
            model_name="accessrequest",
            name="copies",
            field=models.BooleanField(default=False, verbose_name="lets a copy leave the system"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
