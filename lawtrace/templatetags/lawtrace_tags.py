from django import template

from lawtrace.text import escaped
from lawtrace.value_labels import value_labels
from ledger.display import ObjectNames, changes, verb_label

register = template.Library()


@register.filter
def get_item(mapping: dict | None, key: str) -> object:
    return (mapping or {}).get(key, "")


@register.filter
def visible(text: object) -> str:
    """Invisible and direction characters written out (lawtrace.text)."""
    return escaped(str(text)) if text is not None else ""


@register.filter
def shown(value: object) -> str:
    """A reason or failure kept untranslated on a row (ledger.wording), in the reader's language."""
    from ledger.wording import shown as in_reader_language

    return in_reader_language(value)


@register.filter
def event_verb(event) -> str:
    return verb_label(event)


@register.simple_tag(takes_context=True)
def event_changes(context, event) -> list:
    """The event's changes with the ids it carries named, the names worked out once per agency per page."""
    cache = context.render_context.setdefault("event_value_labels", {})
    if event.agency_code not in cache:
        cache[event.agency_code] = value_labels(event.agency_code)
    if "event_object_names" not in context.render_context:
        request = context.get("request")
        context.render_context["event_object_names"] = ObjectNames(getattr(request, "user", None))
    return changes(event, cache[event.agency_code], context.render_context["event_object_names"])
