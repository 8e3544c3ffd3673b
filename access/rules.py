"""What a pack's access rules (000/1/4-8, 000/1/10) say, as plain functions: which rule covers a request, which
credentials and approvals it needs, which items its scope admits. No database writes here."""

from __future__ import annotations

from django.db.models import Q

from policy.schema import AccessRule, PolicyPack
from policy.vocabulary import AccessAction, AccessScope, Credential, RecordKind, RequesterType

# Actions that show content inside the application, and actions that let a copy leave it.
PLAY_ACTIONS = frozenset({AccessAction.VIEW, AccessAction.EXCERPT, AccessAction.BORROW})
COPY_ACTIONS = frozenset({AccessAction.PHOTOCOPY, AccessAction.DUPLICATE, AccessAction.COPY_OUT, AccessAction.MAIL})
STAFF_REQUESTERS = frozenset({RequesterType.CASE_OFFICER, RequesterType.OTHER_STAFF})


def rules_for(pack: PolicyPack, requester_type: str) -> list[AccessRule]:
    return [rule for rule in (pack.access.rules if pack.access else []) if requester_type in rule.requesters]


def matching_rule(pack: PolicyPack, requester_type: str, actions: set[str], purpose: str) -> AccessRule | None:
    """The rule covering all the actions for this requester and purpose; a rule naming the purpose wins over a
    general one (001/3/13 governs copies for litigation even though 001/4/3 lets case officers copy)."""
    candidates = [rule for rule in rules_for(pack, requester_type)
                  if actions <= set(rule.actions) and (rule.purposes is None or purpose in rule.purposes)]
    candidates.sort(key=lambda rule: rule.purposes is None)
    return candidates[0] if candidates else None


def required_credentials(rule: AccessRule, requester_type: str) -> list[str]:
    needed = [str(c) for c in rule.credentials]
    if requester_type == RequesterType.PARTY_LAWYER:
        needed += [str(c) for c in rule.lawyer_credentials if str(c) not in needed]
    return needed


def approval_steps(rule: AccessRule, pack: PolicyPack, *, copies_marked: bool) -> list[dict]:
    steps = [{"role": str(step.role), "kind": step.kind} for step in rule.approval]
    if copies_marked and pack.confidentiality is not None:
        steps += [{"role": str(step.role), "kind": step.kind} for step in pack.confidentiality.export_approval]
    return steps


def plays_directly(pack: PolicyPack) -> bool:
    """Whether a case officer may view the case's records without asking (000/1/4, 001/4/3; not 004/16)."""
    return any(AccessAction.VIEW in rule.actions and not rule.approval
               for rule in rules_for(pack, RequesterType.CASE_OFFICER))


def scope_condition(scope: str) -> Q:
    """Records a scope admits (000/1/7: conclusive documents and AV; 001/4/5: conclusive documents only)."""
    conclusive = Q(kind=RecordKind.DOCUMENT, conclusive=True)
    if scope == AccessScope.CONCLUSIVE_AND_AV:
        return conclusive | Q(kind__in=[RecordKind.AV, RecordKind.AUDIO])
    if scope == AccessScope.CONCLUSIVE_ONLY:
        return conclusive
    return Q()


def unarchived_excluded(pack: PolicyPack) -> object | None:
    """The exclusion taking cases not yet archived out of the access procedure (001/4/10), if the pack has one."""
    return next((e for e in (pack.access.exclusions if pack.access else []) if e.unarchived_cases), None)


def credentials_for(pack: PolicyPack, requester_type: str) -> list[str]:
    """Every credential some rule for this requester type asks for, in the vocabulary's order (what the form shows
    for the type before the actions are chosen)."""
    needed = {c for rule in rules_for(pack, requester_type) for c in required_credentials(rule, requester_type)}
    return [value for value in Credential.values if value in needed]


def verifies(pack: PolicyPack, requester_type: str) -> bool:
    return any(rule.verify_credentials for rule in rules_for(pack, requester_type))


def rules_allowing(pack: PolicyPack, action: str) -> list[AccessRule]:
    return [rule for rule in (pack.access.rules if pack.access else []) if action in rule.actions]


def refused_actions(pack: PolicyPack, requester_type: str, actions: set[str], purpose: str) -> list[str]:
    """The actions no rule for this requester and purpose allows, in the vocabulary's order."""
    allowed = {str(a) for rule in rules_for(pack, requester_type)
               if rule.purposes is None or purpose in rule.purposes for a in rule.actions}
    return [value for value in AccessAction.values if value in actions and value not in allowed]
