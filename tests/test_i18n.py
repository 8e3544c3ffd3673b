"""The zh-hans catalogue is complete: every translatable string in the code has a translation."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_every_entry_is_translated_and_none_is_fuzzy():
    catalogue = polib.pofile(str(PO))
    assert catalogue.untranslated_entries() == []
    assert catalogue.fuzzy_entries() == []


def test_compiled_catalogue_matches_the_po_file(tmp_path):
    catalogue = polib.pofile(str(PO))
    compiled = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural for e in polib.mofile(str(PO.with_suffix(".mo")))}
    expected = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural for e in catalogue}
    assert compiled == expected


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext is installed by scripts/system-deps.sh")
def test_no_string_in_the_code_is_missing_from_the_catalogue(tmp_path):
    copy = tmp_path / "src"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv", "var", ".git", "__pycache__", "tests"))
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete", "--no-location"],
        cwd=copy, check=True, capture_output=True, env={**os.environ, "LAWTRACE_DATA_DIR": str(tmp_path / "data")},
    )
    regenerated = {e.msgid for e in polib.pofile(str(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))}
    shipped = {e.msgid for e in polib.pofile(str(PO))}
    assert regenerated - shipped == set()


def test_translation_functions_keep_names_makemessages_recognises():
    """An alias such as ``gettext_lazy as _lazy`` hides its strings from makemessages: they would stay English."""
    import re

    allowed = re.compile(r"import (gettext|gettext_lazy|ngettext|pgettext)( as _)?$")
    offenders = []
    for path in ROOT.rglob("*.py"):
        if any(part in (".venv", "var", "tests") for part in path.relative_to(ROOT).parts):
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            translation_import = line.startswith("from django.utils.translation import ") and " as " in line
            if translation_import and not allowed.search(line):
                offenders.append(f"{path.relative_to(ROOT)}: {line}")
    assert offenders == []
