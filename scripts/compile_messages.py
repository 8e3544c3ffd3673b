"""Compile the .po catalogues to .mo with polib, so running Lawtrace never needs gettext installed."""

from pathlib import Path

import polib

for po_path in Path(__file__).resolve().parent.parent.glob("locale/*/LC_MESSAGES/django.po"):
    catalogue = polib.pofile(str(po_path))
    catalogue.save_as_mofile(str(po_path.with_suffix(".mo")))
    print(f"{po_path}: {catalogue.percent_translated()}% translated")
