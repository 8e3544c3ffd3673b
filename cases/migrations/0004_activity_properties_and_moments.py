"""An activity's properties become data the pack declares (issue 21, item 2): the three fixed columns, worded after
001/2/4 and 001/1, move into ``properties`` under the same ids the shipped pack declares; marked moments are added."""

from django.db import migrations, models

FLAGS = ("dispute_likely", "major_hazard", "major_violation")


def columns_to_properties(apps, schema_editor):
    Activity = apps.get_model("cases", "Activity")
    for activity in Activity.objects.all().only("pk", *FLAGS).iterator(chunk_size=2000):
        held = [name for name in FLAGS if getattr(activity, name)]
        if held:
            Activity.objects.filter(pk=activity.pk).update(properties=held)


def properties_to_columns(apps, schema_editor):
    Activity = apps.get_model("cases", "Activity")
    for activity in Activity.objects.exclude(properties=[]).only("pk", "properties").iterator(chunk_size=2000):
        Activity.objects.filter(pk=activity.pk).update(**{name: name in activity.properties for name in FLAGS})


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0003_decisions"),
    ]

    operations = [
        migrations.AddField(
            model_name="activity",
            name="moments",
            field=models.JSONField(blank=True, default=dict, verbose_name="moments"),
        ),
        migrations.AddField(
            model_name="activity",
            name="properties",
            field=models.JSONField(blank=True, default=list, verbose_name="properties"),
        ),
        migrations.RunPython(columns_to_properties, properties_to_columns),
        migrations.RemoveField(model_name="activity", name="dispute_likely"),
        migrations.RemoveField(model_name="activity", name="major_hazard"),
        migrations.RemoveField(model_name="activity", name="major_violation"),
    ]
