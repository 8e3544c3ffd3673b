from django.db import migrations

# Common body-camera naming schemes; agencies add their own models' patterns on the device pages.
PATTERNS = [
    ("通用", "", r"(?P<serial>[A-Za-z0-9-]+)_(?P<officer>[A-Za-z0-9]+)_(?P<start>\d{14})_(?P<seq>\d{1,6})",
     "%Y%m%d%H%M%S", "设备编号_警号_开始时间_序号（GA/T 947 常见格式）"),
    ("通用", "", r"(?P<start>\d{14})_(?P<end>\d{14})_(?P<serial>[A-Za-z0-9-]+)_(?P<officer>[A-Za-z0-9]+)",
     "%Y%m%d%H%M%S", "开始时间_结束时间_设备编号_警号"),
]


def seed(apps, schema_editor):
    FilenamePattern = apps.get_model("evidence", "FilenamePattern")
    for brand, model, regex, time_format, note in PATTERNS:
        FilenamePattern.objects.get_or_create(brand=brand, model=model, regex=regex,
                                              defaults={"time_format": time_format, "note": note})


class Migration(migrations.Migration):
    dependencies = [("evidence", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
