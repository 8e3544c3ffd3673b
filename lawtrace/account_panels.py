"""Dashboard panels about people and accounts: certificates about to end (004/7-8), role requests waiting for the
security administrator, accounts locked out or not yet in use. Built from org's public queries."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from authz.roles import Role
from org import accounts, administration, qualifications, role_changes
from org.models import User


def certificates(user: User, *, mine: bool = False):
    """Enforcement certificates ending within 30 days, and holders whose certificates have all ended: the holder's
    own on their dashboard; the agency's for its heads and system administrator."""
    from lawtrace.dashboard import Panel, Row

    keeper = not mine and user.has_role(Role.SYSTEM_ADMIN)
    if mine:
        people = User.objects.filter(pk=user.pk)
    elif keeper:
        people = administration.administered_staff(user)
    else:
        people = User.objects.filter(agency=user.agency_id)
    today = timezone.localdate()

    def link(person: User) -> str:
        return reverse("staff_detail", args=[person.pk]) if keeper else ""

    rows = [Row(_("%(name)s: enforcement certificate %(number)s ends on %(day)s") % {
                "name": q.user, "number": q.certificate_number, "day": q.valid_until.isoformat()},
                link(q.user), _("in %(n)d days") % {"n": (q.valid_until - today).days})
            for q in qualifications.expiring(people, today=today)[:15]]
    rows += [Row(_("%(name)s: no valid enforcement certificate, no longer a recording subject (004/7-8)")
                 % {"name": person}, link(person), _("expired"))
             for person in qualifications.lapsed(people, today=today)[:15]]
    title = _("My enforcement certificate") if mine else _("Enforcement certificates ending within 30 days")
    return Panel(title, rows, empty=_("No certificate ends within 30 days."))


def role_requests(user: User):
    from lawtrace.dashboard import Panel, Row

    waiting = role_changes.pending_for(user)
    rows = [Row(f"{r.user} · {r.get_change_display()} · {r.get_role_display()}", reverse("role_requests"),
                f"{timezone.localtime(r.requested_at):%m-%d %H:%M}") for r in waiting[:10]]
    return Panel(_("Role requests awaiting your decision"), rows, reverse("role_requests"),
                 _("No request is waiting."))


def accounts_needing_care(user: User):
    """Accounts locked out by failed logins, and new accounts whose one-time password is still unchanged."""
    from lawtrace.dashboard import Panel, Row

    staff = administration.administered_staff(user).filter(is_active=True)
    locked = accounts.is_locked_out(list(staff.values_list("username", flat=True)))
    rows = [Row(_("%(name)s is locked out after failed logins") % {"name": person}, reverse("staff_detail",
                                                                                             args=[person.pk]))
            for person in staff.filter(username__in=locked)[:10]]
    unused = staff.filter(must_change_password=True).count()
    if unused:
        rows.append(Row(_("Accounts whose one-time password is not yet changed: %(n)d") % {"n": unused},
                        reverse("staff_list")))
    return Panel(_("Accounts needing attention"), rows, reverse("staff_list"), _("None."))
