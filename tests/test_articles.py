"""One test per article the packs encode, named after the article (file/attachment/article).

Each test reads the agency's pack through the same evaluators the application uses, so a pack that
drifts from its regulation fails here.
"""

import datetime as dt

import pytest

from policy import rules
from policy.registry import registry
from policy.rules import Decision, Facts

LUSHAN, EMERGENCY, WATER, XINZHOU = "lushan_finance", "pingdingshan_emergency", "ruzhou_water", "xinzhou_finance"
START = dt.date(2026, 3, 15)


def pack(code):
    return registry().files(code)[0].pack


def end_of(code, facts):
    return rules.retention_for(pack(code), facts).end(START)


AV = {"record": "av"}


# --- recording obligations ---------------------------------------------------------------------------


def test_000_1_2_enforcement_categories():
    assert {c.value for c in pack(LUSHAN).agency.categories} == {
        "penalty", "compulsion", "inspection", "expropriation", "licensing"}


def test_001_1_mandatory_rows_are_always_required():
    row = rules.checklist_row(pack(EMERGENCY), "hearing")
    assert row.cite == ["001/1/(一)/1"]
    assert rules.recording_required(row, Facts())


def test_001_1_dispute_rows_are_required_only_when_a_dispute_is_likely():
    row = rules.checklist_row(pack(EMERGENCY), "on_site_inspection")
    assert not rules.recording_required(row, Facts())
    assert rules.recording_required(row, Facts(properties=frozenset({"dispute_likely"})))


def test_001_1_random_inspection_draw_is_a_checklist_row():
    row = rules.checklist_row(pack(EMERGENCY), "random_inspection_draw")
    assert row.stage == "随机抽查" and "抽取" in row.requirement


def test_002_checklist_rows_carry_recorder_times_and_class():
    row = rules.checklist_row(pack(WATER), "hearing")
    assert (row.recorder, row.starts_at.text, row.ends_at.text) == ("听证记录员", "举行听证会开始", "听证会议结束")
    assert row.record_class.value == "meeting" and row.storage.same_as_case_file


def test_001_2_4_major_hazard_or_violation_needs_uninterrupted_recording():
    hazard = rules.uninterrupted_triggers(pack(EMERGENCY), Facts(properties=frozenset({"major_hazard"})))
    violation = rules.uninterrupted_triggers(pack(EMERGENCY), Facts(properties=frozenset({"major_violation"})))
    assert [t.cite for t in hazard] == [["001/2/4"]] and [t.cite for t in violation] == [["001/2/4"]]
    assert rules.uninterrupted_triggers(pack(EMERGENCY), Facts()) == []


def test_000_2_8_recording_runs_from_arrival_to_departure():
    row = rules.checklist_row(pack(LUSHAN), "on_site_enforcement")
    assert "到达现场" in row.starts_at.text and "离开现场" in row.ends_at.text


def test_000_2_11_key_moments_are_photographed():
    assert rules.checklist_row(pack(LUSHAN), "on_site_enforcement").key_moment_photos


def test_004_18_key_moments_and_written_record_when_full_recording_impossible():
    fallback = pack(XINZHOU).recording.key_moments_when_full_impossible
    assert fallback.cite == ["004/18"] and "重要环节" in fallback.label


# --- devices, interruptions ----------------------------------------------------------------------


def test_000_2_7_pre_use_checks_include_setting_the_clock():
    assert [c.id for c in pack(LUSHAN).devices.pre_use_checks] == ["working", "battery", "storage", "clock"]


def test_000_2_4_device_ledger_records_user_handover_and_content():
    assert pack(LUSHAN).devices.usage_ledger.fields == ["使用人员", "交接时间", "记录内容"]


def test_004_21_faults_stop_use_and_no_self_repair():
    assert [f.id for f in pack(XINZHOU).devices.fault_handling] == [
        "stop_use", "report", "professional_repair", "no_self_repair"]


def test_000_2_12_interruption_reasons_and_head_review():
    interruptions = pack(LUSHAN).interruptions
    assert [r.id for r in interruptions.reasons] == ["device_fault", "weather", "obstruction", "force_majeure"]
    assert interruptions.note_review.role.value == "head"


def test_001_2_7_site_change_is_a_reason_and_resuming_needs_a_statement():
    interruptions = pack(EMERGENCY).interruptions
    assert "site_change" in [r.id for r in interruptions.reasons]
    assert interruptions.resume_statement.cite == ["001/2/7"]


# --- collection and storage ---------------------------------------------------------------------------


def test_000_2_13_remote_work_stored_within_24_hours_of_return():
    deadline = next(d for d in pack(LUSHAN).ingest.deadlines if d.applies_when == "remote_or_continuous")
    assert (deadline.within, deadline.hours, deadline.counted_from) == ("hours", 24, "return_to_unit")


def test_001_2_8_archive_system_within_24_hours_with_case_party_and_dates():
    p = pack(EMERGENCY)
    deadline = next(d for d in p.ingest.deadlines if d.id == "archive_within_24h")
    assert (deadline.hours, deadline.counted_from) == (24, "recording_made")
    assert {"case", "party", "record_date", "storage_date"} <= {f.value for f in p.ingest.classification.fields}


def test_004_11_stored_at_the_end_of_each_day():
    assert [(d.within, d.counted_from) for d in pack(XINZHOU).ingest.deadlines] == [("end_of_day", "activity_end")]


def test_004_17_classification_fields():
    assert [f.value for f in pack(XINZHOU).ingest.classification.fields] == [
        "unit", "device", "officer", "recorded_at", "party", "case"]


@pytest.mark.parametrize("code, unit", [(LUSHAN, "监督股"), (WATER, "水政监察大队"), (XINZHOU, "市财政局")])
def test_000_1_3_002_3_004_9_central_storage_by_a_named_unit(code, unit):
    assert pack(code).agency.responsible_unit.name == unit


# --- retention ---------------------------------------------------------------------------


def test_000_2_15_av_kept_12_months_then_reviewed_for_purge():
    decision = rules.retention_for(pack(LUSHAN), Facts(**AV))
    assert decision.end(START) == dt.date(2027, 3, 15)
    assert decision.rules[0].then == "review_for_purge" and decision.cites == ("000/2/15",)


def test_002_retention_av_kept_12_months():
    assert end_of(WATER, Facts(**AV)) == dt.date(2027, 3, 15)


def test_004_12_patrol_av_kept_at_least_6_months():
    decision = rules.retention_for(pack(XINZHOU), Facts(record="av", usage="patrol"))
    assert decision.end(START) == dt.date(2026, 9, 15) and decision.term.at_least


def test_004_12_evidence_in_general_penalty_case_follows_the_case_file():
    facts = Facts(record="av", usage="evidence", linked_to_case=True, case_category="penalty", case_procedure="general")
    decision = rules.retention_for(pack(XINZHOU), facts)
    assert decision.term is None and "山西省档案管理条例" in decision.undetermined


def test_004_12_summary_procedure_evidence_is_not_bound_to_the_case_file():
    facts = Facts(record="av", usage="evidence", linked_to_case=True, case_category="penalty", case_procedure="summary")
    assert rules.retention_for(pack(XINZHOU), facts).rules == ()


def test_001_3_8_other_av_kept_at_least_3_years():
    decision = rules.retention_for(pack(EMERGENCY), Facts(record="av", linked_to_case=False))
    assert decision.end(START) == dt.date(2029, 3, 15) and decision.term.at_least


def test_001_3_8_case_linked_av_kept_as_long_as_the_case_file():
    facts = Facts(record="av", linked_to_case=True, case_flags=frozenset({"hearing"}))
    assert end_of(EMERGENCY, facts) == dt.date(2036, 3, 15)


@pytest.mark.parametrize("flags, expected", [
    ({"major_penalty"}, None),
    ({"major_social_impact"}, None),
    ({"complex"}, dt.date(2056, 3, 15)),
    ({"hearing"}, dt.date(2036, 3, 15)),
    ({"compulsory_execution"}, dt.date(2036, 3, 15)),
    (set(), dt.date(2031, 3, 15)),
])
def test_001_2_12_case_file_tiers_from_case_flags(flags, expected):
    tier = rules.case_file_tier(pack(EMERGENCY), Facts(case_flags=frozenset(flags)))
    assert rules.term_end(START, tier.keep) == expected


def test_001_2_12_the_longest_tier_wins_when_several_flags_apply():
    tier = rules.case_file_tier(pack(EMERGENCY), Facts(case_flags=frozenset({"hearing", "complex"})))
    assert tier.id == "thirty_years"


def test_002_checklist_records_follow_the_written_record():
    decision = rules.retention_for(pack(WATER), Facts(record="av", linked_to_case=True))
    assert decision.term is None and "文字材料" in decision.undetermined


def test_retention_month_end_is_clamped():
    assert rules.add_months(dt.date(2026, 8, 31), 6) == dt.date(2027, 2, 28)


# --- long-term preservation ---------------------------------------------------------------------------


def test_000_2_16_two_labelled_disc_copies():
    copies = pack(LUSHAN).long_term.copies
    assert copies.count == 2
    assert copies.label_fields == ["制作单位", "制作人", "制作时间", "执法活动或者案件名称", "标号"]


def test_001_3_9_disc_record_form_fields_and_signatures():
    form = pack(EMERGENCY).long_term.disc_record_form
    assert form.title == "执法音像记录设备摄录内容刻盘存储记录表"
    assert "执法音像记录设备品牌和型号" in form.fields
    assert form.signatures == ["参与案件办理的所有人员", "本部门主要负责人"]


def test_001_3_10_mass_incidents_trigger_long_term_preservation():
    assert "mass_or_sudden_incident" in [t.id for t in pack(EMERGENCY).long_term.triggers]


def test_004_13_removable_media_allowed():
    assert pack(XINZHOU).long_term.media == ["刻录光盘", "移动储存介质"]


# --- access ---------------------------------------------------------------------------


def _approvers(code, requester, action, purpose=None):
    found = rules.access_rules_for(pack(code), requester, action, purpose)
    return [[(s.role.value, s.kind) for s in rule.approval] for rule in found]


def test_000_1_4_case_officer_views_directly_in_the_archive_room():
    rule = rules.access_rules_for(pack(LUSHAN), "case_officer", "view")[0]
    assert rule.approval == [] and rule.archive_room_only


def test_000_1_4_copy_needs_head_approval():
    assert _approvers(LUSHAN, "case_officer", "duplicate") == [[("head", "approve")]]


def test_001_4_3_copy_needs_only_registration():
    rule = rules.access_rules_for(pack(EMERGENCY), "case_officer", "photocopy")[0]
    assert rule.approval == [] and rule.enter_in_register


def test_000_1_5_other_staff_need_a_special_reason_and_head_approval():
    rule = rules.access_rules_for(pack(LUSHAN), "other_staff", "view")[0]
    assert rule.special_reason_required and [s.role.value for s in rule.approval] == ["head"]


def test_001_2_10_other_staff_need_the_case_office_consent():
    assert _approvers(EMERGENCY, "other_staff", "view") == [[("case_office", "consent")]]


def test_000_1_6_authorities_need_letter_and_id_verified():
    rule = rules.access_rules_for(pack(LUSHAN), "procuratorate", "copy_out")[0]
    assert [c.value for c in rule.credentials] == ["introduction_letter", "valid_id"] and rule.verify_credentials


def test_001_4_4_justice_administration_is_not_listed():
    assert rules.access_rules_for(pack(EMERGENCY), "justice_administration", "view") == []


def test_000_1_7_party_sees_conclusive_documents_and_av_with_head_approval():
    rule = rules.access_rules_for(pack(LUSHAN), "party_lawyer", "view")[0]
    assert rule.scope.value == "conclusive_and_av" and [s.role.value for s in rule.approval] == ["head"]
    assert [c.value for c in rule.lawyer_credentials] == ["power_of_attorney", "authorisation", "lawyer_licence"]


def test_001_4_5_party_sees_conclusive_documents_only():
    rule = rules.access_rules_for(pack(EMERGENCY), "party", "excerpt")[0]
    assert rule.scope.value == "conclusive_only" and rule.approval == []


def test_000_1_8_other_region_by_letter_with_head_approval():
    rule = rules.access_rules_for(pack(LUSHAN), "other_region_enforcement", "mail")[0]
    assert [c.value for c in rule.credentials] == ["official_letter"] and rule.approval[0].role.value == "head"


def test_001_4_7_borrowing_needs_the_leader_in_charge():
    assert _approvers(EMERGENCY, "other_staff", "borrow") == [[("leader_in_charge", "approve")]]


def test_001_3_13_litigation_copy_checked_by_policy_office_then_leader_in_charge():
    assert _approvers(EMERGENCY, "case_officer", "copy_out", "litigation") == [
        [("policy_office", "check"), ("leader_in_charge", "approve")]]
    assert _approvers(EMERGENCY, "case_officer", "copy_out", "work") == []


def test_001_4_10_unarchived_cases_are_excluded():
    assert [e.unarchived_cases for e in pack(EMERGENCY).access.exclusions] == [True]


def test_000_1_11_viewing_is_free():
    assert pack(LUSHAN).access.fees.viewing == "free"


def test_001_4_11_copying_is_paid_by_the_requester():
    assert pack(EMERGENCY).access.fees.copying == "requester_pays"


def test_004_16_viewing_needs_approval():
    rule = rules.access_rules_for(pack(XINZHOU), "case_officer", "view")[0]
    assert [s.role.value for s in rule.approval] == ["designated"]


# --- evidence, confidentiality --------------------------------------------------------------------


def test_001_3_14_evidence_note_names_maker_extractor_time_and_what_it_proves():
    notes = [e.note_fields for e in pack(EMERGENCY).evidence_extraction]
    assert ["制作人", "提取人", "提取时间", "证明对象"] in notes


def test_004_15_files_for_review_or_court_provided_centrally_with_a_copy_kept():
    assert pack(XINZHOU).evidence_extraction[0].keep_copy


def test_000_1_10_confidentiality_marks():
    assert [m.value for m in pack(LUSHAN).confidentiality.marks] == [
        "state_secret", "commercial_secret", "personal_privacy"]


# --- supervision and accountability ---------------------------------------------------------------------------


def test_000_2_17_annual_review_at_least_once():
    assert pack(LUSHAN).supervision.annual_review_at_least == 1


def test_001_3_16_sampling_checks():
    assert [c.id for c in pack(EMERGENCY).supervision.checks] == [
        "recorded_where_required", "uninterrupted", "handed_over_stored_used"]


def test_004_22_playback_checks_with_a_ledger():
    assert "playback_checks" in [c.id for c in pack(XINZHOU).supervision.checks]


def test_000_2_18_misconduct_leads_to_criticism_and_education():
    p = pack(LUSHAN)
    assert len([m for m in p.accountability.misconduct if m.cite[0].startswith("000/2/18")]) == 6
    assert p.accountability.sanctions[0].label == "批评教育"


def test_001_3_18_sanctions_include_six_months_suspension():
    labels = [s.label for s in pack(EMERGENCY).accountability.sanctions]
    assert "停止执法工作半年" in labels and "取消当年评优评先资格" in labels


def test_004_24_serious_cases_warning_demerit_major_demerit():
    ids = [s.id for s in pack(XINZHOU).accountability.sanctions if s.severity == "serious"]
    assert {"warning", "demerit", "major_demerit", "suspension_from_duty"} <= set(ids)


# --- legal review, double-random inspections ---------------------------------------------------


@pytest.mark.parametrize("party_kind, amount, required", [
    ("person", 9_999, False), ("person", 10_000, True),
    ("organisation", 99_999, False), ("organisation", 100_000, True), ("organisation", 10_000, False),
])
def test_002_legal_review_fine_thresholds(party_kind, amount, required):
    decision = Decision(category="penalty", decision_type="fine", party_kind=party_kind, amount=amount)
    assert bool(rules.legal_review_items(pack(WATER), decision)) is required


def test_002_legal_review_every_compulsory_measure():
    items = rules.legal_review_items(pack(WATER), Decision(category="compulsion", decision_type="seal_or_seize"))
    assert [i.id for i in items] == ["all_compulsory_measures"]
    assert items[0].materials == ["立案审批表", "现场勘验笔录", "相片等证据"] and len(items[0].review_points) == 5


def test_001_5_catalogue_items():
    p = pack(EMERGENCY)
    assert [i.id for i in rules.legal_review_items(p, Decision(category="compulsion", decision_type="stop_supply"))] \
        == ["stop_supply"]
    assert rules.legal_review_items(p, Decision(category="benefit", decision_type="disaster_relief"))[0].cite == [
        "001/5/四/1"]


def test_001_5_large_fine_has_no_amount_threshold():
    p = pack(EMERGENCY)
    assert rules.legal_review_items(p, Decision(category="penalty", decision_type="fine", amount=10**7)) == []
    flagged = Decision(category="penalty", decision_type="fine", amount=50_000, law_requires_review=True)
    assert "large_fine" in [i.id for i in rules.legal_review_items(p, flagged)]


def test_002_random_inspection_20_percent_every_quarter():
    plan = pack(WATER).random_inspection.plans[0]
    assert (plan.share, plan.frequency.value, plan.targets) == (0.2, "quarterly", "本辖区所有企业")


def test_000_has_no_legal_review_catalogue():
    assert pack(LUSHAN).legal_review is None
