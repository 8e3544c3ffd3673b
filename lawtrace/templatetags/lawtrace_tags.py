from django import template

register = template.Library()


@register.filter
def get_item(mapping: dict | None, key: str) -> object:
    return (mapping or {}).get(key, "")
