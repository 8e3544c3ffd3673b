from django.db import migrations, models


def fill(apps, schema_editor):
    ReviewRound = apps.get_model("supervision", "ReviewRound")
    for made in ReviewRound.objects.exclude(sample__isnull=True).iterator():
        made.sampled.set([int(pk) for pk in made.sample or ()])


class Migration(migrations.Migration):

    dependencies = [
        ("evidence", "0005_blob_purged_at_record_purged_at"),
        ("supervision", "0005_seed_labels"),
    ]

    operations = [
        migrations.AddField(
            model_name="reviewround",
            name="sampled",
            field=models.ManyToManyField(blank=True, related_name="+", to="evidence.record",
                                         verbose_name="sampled records"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
