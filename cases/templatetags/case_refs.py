from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from cases.queries import CONCEALED_CASE, concealed_case_ids

register = template.Library()


def _concealed(context) -> set[int] | None:
    """The reader's concealed cases, asked once per page; None when the page has no reader to ask about."""
    request = context.get("request")
    if request is None:
        return None
    if not hasattr(request, "_concealed_case_ids"):
        request._concealed_case_ids = concealed_case_ids(request.user)
    return request._concealed_case_ids


@register.simple_tag(takes_context=True)
def case_ref(context, case, number_only: bool = False, link: bool = True) -> str:
    """A case as the reader may see it: its number and title (linked), or a mark when it is confidential to them."""
    if case is None:
        return "—"
    concealed = _concealed(context)
    if concealed is None or case.pk in concealed:
        return format_html('<span class="muted" title="{}">{}</span>',
                           _("This case carries a confidentiality mark you are not cleared for."),
                           CONCEALED_CASE)
    text = case.number if number_only else str(case)
    if not link:
        return text
    return format_html('<a href="{}">{}</a>', reverse("case_detail", args=[case.pk]), text)
