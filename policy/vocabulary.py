"""Terms shared by the policy packs and the records they judge. Values are the identifiers packs use."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    """Enforcement categories (000/1/2, 001/5)."""

    PENALTY = "penalty", _("administrative penalty")
    COMPULSION = "compulsion", _("administrative compulsion")
    INSPECTION = "inspection", _("administrative inspection")
    EXPROPRIATION = "expropriation", _("administrative levy and expropriation")
    LICENSING = "licensing", _("administrative licensing")
    BENEFIT = "benefit", _("administrative benefit")


class Procedure(models.TextChoices):
    SUMMARY = "summary", _("summary procedure")
    GENERAL = "general", _("general procedure")
    HEARING = "hearing", _("hearing procedure")
    NOT_APPLICABLE = "not_applicable", _("not applicable")


class CaseFlag(models.TextChoices):
    """Case properties that drive case-file retention (001/2/12) and evidence retention (004/12)."""

    MAJOR_PENALTY = "major_penalty", _("major administrative penalty")
    MAJOR_SOCIAL_IMPACT = "major_social_impact", _("major social impact")
    COMPLEX = "complex", _("complex, several legal relations")
    HEARING = "hearing", _("hearing procedure applied")
    COMPULSORY_EXECUTION = "compulsory_execution", _("compulsory execution")


class RecordKind(models.TextChoices):
    AV = "av", _("audio-visual record")
    PHOTO = "photo", _("photo")
    AUDIO = "audio", _("audio")
    DOCUMENT = "document", _("written record")
    # Kept byte for byte but decoded by nothing: never a recording, never coverage (evidence.probe).
    UNREADABLE = "unreadable", _("unreadable file")


class RecordUsage(models.TextChoices):
    PATROL = "patrol", _("daily patrol")
    EVIDENCE = "evidence", _("used as evidence")
    CASE = "case", _("recorded while handling a case")
    OTHER = "other", _("other enforcement activity")


class RecordingManner(models.TextChoices):
    VIDEO = "video", _("video")
    PHOTO = "photo", RecordKind.PHOTO.label  # one value, one label (lawtrace.value_labels)
    CCTV = "cctv", _("video surveillance")
    AUDIO = "audio", RecordKind.AUDIO.label


class RecordClass(models.TextChoices):
    SCENE = "scene", _("scene")
    MEETING = "meeting", _("meeting")


class ConfidentialityMark(models.TextChoices):
    STATE_SECRET = "state_secret", _("state secret")
    COMMERCIAL_SECRET = "commercial_secret", _("commercial secret")
    PERSONAL_PRIVACY = "personal_privacy", _("personal privacy")


class RequesterType(models.TextChoices):
    CASE_OFFICER = "case_officer", _("case officer")
    OTHER_STAFF = "other_staff", _("other staff of the agency")
    PUBLIC_SECURITY = "public_security", _("public security organ")
    PROCURATORATE = "procuratorate", _("procuratorate")
    COURT = "court", _("people's court")
    STATE_SECURITY = "state_security", _("state security organ")
    DISCIPLINE_INSPECTION = "discipline_inspection", _("discipline inspection and supervision")
    JUSTICE_ADMINISTRATION = "justice_administration", _("judicial administration")
    AUDIT = "audit", _("audit organ")
    REVIEW_BODY = "review_body", _("administrative review body")
    PARTY = "party", _("party concerned")
    PARTY_LAWYER = "party_lawyer", _("party's lawyer")
    OTHER_REGION_ENFORCEMENT = "other_region_enforcement", _("enforcement body of another region")


class AccessAction(models.TextChoices):
    VIEW = "view", _("view")
    EXCERPT = "excerpt", _("excerpt")
    PHOTOCOPY = "photocopy", _("photocopy")
    DUPLICATE = "duplicate", _("duplicate")
    COPY_OUT = "copy_out", _("copy to media")
    BORROW = "borrow", _("borrow")
    MAIL = "mail", _("send by post")


class Credential(models.TextChoices):
    INTRODUCTION_LETTER = "introduction_letter", _("letter of introduction")
    VALID_ID = "valid_id", _("valid identity document")
    OFFICIAL_LETTER = "official_letter", _("official letter")
    POWER_OF_ATTORNEY = "power_of_attorney", _("power of attorney")
    AUTHORISATION = "authorisation", _("letter of authorisation")
    LAWYER_LETTER = "lawyer_letter", _("lawyer's letter")
    LAWYER_LICENCE = "lawyer_licence", _("lawyer's practising certificate")


class Approver(models.TextChoices):
    HEAD = "head", _("principal head")
    LEADER_IN_CHARGE = "leader_in_charge", _("leader in charge")
    CASE_OFFICE = "case_office", _("case-handling office")
    POLICY_OFFICE = "policy_office", _("office (policy and regulations division)")
    DESIGNATED = "designated", _("approver designated by the agency")


class AccessScope(models.TextChoices):
    ALL = "all", _("all records of the case")
    CONCLUSIVE_AND_AV = "conclusive_and_av", _("conclusive documents and audio-visual records")
    CONCLUSIVE_ONLY = "conclusive_only", _("conclusive documents only")


class AccessPurpose(models.TextChoices):
    WORK = "work", _("work need")
    LITIGATION = "litigation", _("litigation or review")
    SUPERVISION = "supervision", _("enforcement supervision")
    CASE_STUDY = "case_study", _("case study")
    EVIDENCE = "evidence", _("use as evidence")
    EXTERNAL_INQUIRY = "external_inquiry", _("inquiry from another body")


class DecisionType(models.TextChoices):
    STOP_PRODUCTION = "stop_production", _("order to stop production or business")
    REVOKE_LICENCE = "revoke_licence", _("revocation of a licence")
    REVOKE_QUALIFICATION = "revoke_qualification", _("revocation of a qualification or post certificate")
    FINE = "fine", _("fine")
    OTHER_PENALTY = "other_penalty", _("other administrative penalty")
    LICENCE_AFTER_HEARING = "licence_after_hearing", _("licensing decision after a hearing")
    LICENCE_WITHDRAWAL = "licence_withdrawal", _("withdrawal of a licence granted")
    OTHER_LICENSING = "other_licensing", _("other licensing decision")
    SEAL_OR_SEIZE = "seal_or_seize", _("sealing up or seizure")
    STOP_SUPPLY = "stop_supply", _("stopping power or explosives supply")
    OTHER_COMPULSION = "other_compulsion", _("other compulsory measure")
    DISASTER_RELIEF = "disaster_relief", _("natural disaster relief funds and goods")


class PartyKind(models.TextChoices):
    PERSON = "person", _("natural person")
    ORGANISATION = "organisation", _("legal person or other organisation")


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("monthly")
    QUARTERLY = "quarterly", _("quarterly")
    HALF_YEARLY = "half_yearly", _("half-yearly")
    YEARLY = "yearly", _("yearly")


class ClassificationField(models.TextChoices):
    """Metadata a record is filed under (001/2/8, 001/3/5)."""

    AGENCY = "agency", _("agency or department")
    UNIT = "unit", _("unit")
    DEVICE = "device", _("recording device")
    OFFICER = "officer", _("officer")
    RECORDED_AT = "recorded_at", _("time of use")
    CASE = "case", _("case name")
    PARTY = "party", _("party")
    RECORD_DATE = "record_date", _("record date")
    STORAGE_DATE = "storage_date", _("storage date")
