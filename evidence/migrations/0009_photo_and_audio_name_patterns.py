from django.db import migrations

# The built-in naming schemes of 0002, widened to the photo and audio files of the same cameras, which carry a
# type letter between the fields (…_410001_P_20261121090000_0001.jpg, …_A_….wav; V for video where written).
OLD_TO_NEW = [
    (r"(?P<serial>[A-Za-z0-9-]+)_(?P<officer>[A-Za-z0-9]+)_(?P<start>\d{14})_(?P<seq>\d{1,6})",
     r"(?P<serial>[A-Za-z0-9-]+)_(?P<officer>[A-Za-z0-9]+)(?:_[VPA])?_(?P<start>\d{14})(?:_[VPA])?_(?P<seq>\d{1,6})"
     r"(?:_[VPA])?",
     "设备编号_警号_开始时间_序号（GA/T 947 常见格式；照片、录音带 _P_、_A_）"),
    (r"(?P<start>\d{14})_(?P<end>\d{14})_(?P<serial>[A-Za-z0-9-]+)_(?P<officer>[A-Za-z0-9]+)",
     r"(?P<start>\d{14})(?:_(?P<end>\d{14}))?(?:_[VPA])?_(?P<serial>[A-Za-z0-9-]+)_(?P<officer>[A-Za-z0-9]+)",
     "开始时间_结束时间_设备编号_警号（照片、录音只有开始时间，可带 _P_、_A_）"),
]


def widen(apps, schema_editor):
    FilenamePattern = apps.get_model("evidence", "FilenamePattern")
    for old, new, note in OLD_TO_NEW:
        FilenamePattern.objects.filter(brand="通用", model="", regex=old).update(regex=new, note=note)


def narrow(apps, schema_editor):
    FilenamePattern = apps.get_model("evidence", "FilenamePattern")
    for old, new, _note in OLD_TO_NEW:
        FilenamePattern.objects.filter(brand="通用", model="", regex=new).update(regex=old)


class Migration(migrations.Migration):
    dependencies = [("evidence", "0008_unreadable_files_time_sources_upload_retries")]
    operations = [migrations.RunPython(widen, narrow)]
