"""``{{ cites|law }}``: citations as people read them (《…》第八条), wherever a page or a printout shows one."""

from django import template

from policy.citations import law as as_law

register = template.Library()


@register.filter
def law(cites) -> str:
    return as_law(cites)
