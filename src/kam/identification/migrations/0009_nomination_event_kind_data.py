"""Recommended and approved were statuses in name only: make them event kinds.

Every event gets its kind from the status it led to. The "→ recommended" event becomes a
``recommended`` event that changes no status; the two approval events ("nominated →
approved", "approved → key") become one ``approved`` event "nominated → key". No service ever
stored a nomination as recommended or approved; should one exist, it becomes nominated or key.
Reversing restores the old rows.
"""

from django.db import migrations

KIND_OF_STATUS = {
    "nominated": "nominated",
    "rejected": "rejected",
    "under_review": "review_started",
    "kept": "kept",
    "demoted": "demoted",
}


def forwards(apps, schema_editor):
    Nomination = apps.get_model("identification", "Nomination")
    NominationEvent = apps.get_model("identification", "NominationEvent")
    Nomination.objects.filter(status="recommended").update(status="nominated")
    Nomination.objects.filter(status="approved").update(status="key")
    NominationEvent.objects.filter(from_status="approved", to_status="key").delete()
    NominationEvent.objects.filter(to_status="recommended").update(
        kind="recommended", from_status="", to_status=""
    )
    NominationEvent.objects.filter(from_status="recommended").update(from_status="")
    NominationEvent.objects.filter(to_status="approved").update(kind="approved", to_status="key")
    for status, kind in KIND_OF_STATUS.items():
        NominationEvent.objects.filter(kind="", to_status=status).update(kind=kind)


def backwards(apps, schema_editor):
    NominationEvent = apps.get_model("identification", "NominationEvent")
    recommended = set(
        NominationEvent.objects.filter(kind="recommended").values_list("nomination_id", flat=True)
    )
    NominationEvent.objects.filter(kind="recommended").update(to_status="recommended")
    NominationEvent.objects.filter(
        kind="nominated", from_status="", nomination_id__in=recommended
    ).update(from_status="recommended")
    for event in NominationEvent.objects.filter(kind="approved"):
        follow_up = NominationEvent.objects.create(
            nomination_id=event.nomination_id,
            actor_id=event.actor_id,
            kind="approved",
            from_status="approved",
            to_status="key",
            note=event.note,
        )
        # auto_now_add set "now": keep the approval's time
        NominationEvent.objects.filter(pk=follow_up.pk).update(at=event.at)
        event.to_status = "approved"
        event.save(update_fields=["to_status"])


class Migration(migrations.Migration):
    dependencies = [("identification", "0008_nomination_event_kind")]

    operations = [migrations.RunPython(forwards, backwards)]
