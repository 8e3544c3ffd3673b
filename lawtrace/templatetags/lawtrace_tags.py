from django import template

register = template.Library()


@register.filter
def get_item(mapping: dict | None, key: str) -> object:
    return (mapping or {}).get(key, "")


@register.filter
def event_verb(event) -> str:
    from ledger.display import verb_label

    return verb_label(event)


@register.filter
def event_changes(event) -> list:
    from ledger.display import changes

    return changes(event)
