"""Derivatives made before their making was recorded get their ``record.derivative`` event now, so ledger
verification can bind each one's hash and source hash from here on (it names any it cannot account for)."""

from django.db import migrations


def record_existing(apps, schema_editor):
    from ledger.events import append_events
    from ledger.models import Event

    Derivative = apps.get_model("evidence", "Derivative")
    events = []
    for derivative in Derivative.objects.select_related("record__agency", "blob").order_by("pk").iterator():
        record = derivative.record
        events.append(Event(
            verb="record.derivative", agency_code=record.agency.code, object_type="evidence.record",
            object_id=str(record.pk), object_label=f"#{record.pk} {record.original_name}"[:255], request_id="upgrade",
            detail={"kind": derivative.kind, "sha256": derivative.blob.sha256, "sm3": derivative.blob.sm3,
                    "size": derivative.blob.size, "source_sha256": derivative.source_sha256}))
    if events:
        append_events(events)


class Migration(migrations.Migration):

    dependencies = [
        ("evidence", "0005_blob_purged_at_record_purged_at"),
        ("ledger", "0007_key_chain_and_publication"),
    ]

    operations = [migrations.RunPython(record_existing, migrations.RunPython.noop)]
