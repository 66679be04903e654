"""Regenerate the extension's corrections to CKAN's zh_Hans_CN catalogue.

CKAN 2.11.6's Simplified Chinese catalogue has wrong words (登陆 for 登录,
域/价值 for the table header 字段/值, 次 for 此), Traditional characters in
strings of the Simplified home page, and plural entries that only work while
the plural rule is nplurals=1: ckanext-dcat's missing zh catalogue resets
flask-babel's merged plural rule to (n != 1), so "N datasets found" falls back
to English.  This writes every CKAN entry that needs one of these fixes to
ckanext-sdm/ckanext/sdm/i18n/zh_Hans_CN/LC_MESSAGES/ckanext-sdm.po, plural
entries with both forms, and compiles the .mo beside it:

    .venv/bin/python dev/zh-corrections.py

tests/plugin/test_pages_i18n.py checks the .mo is the .po compiled.
"""

import os
import sys

import ckan
import opencc
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "ckanext-sdm", "ckanext", "sdm", "i18n", "zh_Hans_CN", "LC_MESSAGES")
SOURCE = os.path.join(os.path.dirname(ckan.__file__), "i18n", "zh_Hans_CN", "LC_MESSAGES", "ckan.po")
#: Whole-word corrections, applied to every string.
WORDS = {"登陆": "登录", "次机构": "此机构"}
#: Strings whose translation is wrong as a whole (table headers of additional_info.html, the API's refusal).
WHOLE = {"Field": "字段", "Value": "值", "Access denied": "拒绝访问"}


def corrected(msgid: str, text: str, to_simplified) -> str:
    text = WHOLE.get(msgid, text)
    for wrong, right in WORDS.items():
        text = text.replace(wrong, right)
    return to_simplified(text)


def main() -> int:
    to_simplified = opencc.OpenCC("t2s").convert
    with open(SOURCE, "rb") as f:
        source = read_po(f)
    catalog = Catalog(
        locale="zh_Hans_CN",
        domain="ckanext-sdm",
        project="ckanext-sdm",
        fuzzy=False,
        header_comment="# Corrections to CKAN's zh_Hans_CN strings; written by dev/zh-corrections.py.",
        creation_date=source.creation_date,
        revision_date=source.revision_date,
    )
    # two forms, so whichever plural rule flask-babel ends up with finds one
    catalog._num_plurals, catalog._plural_expr = 2, "(n != 1)"
    for message in source:
        if not message.id or not message.string or not any(message.string):
            continue
        if isinstance(message.id, (tuple, list)):
            text = corrected(message.id[0], message.string[0], to_simplified)
            catalog.add(message.id, (text, text), locations=message.locations[:1])
        else:
            text = corrected(message.id, message.string, to_simplified)
            if text != message.string:
                catalog.add(message.id, text, locations=message.locations[:1])
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "ckanext-sdm.po"), "wb") as f:
        write_po(f, catalog, omit_header=False, width=100, sort_output=True)
    with open(os.path.join(OUT, "ckanext-sdm.mo"), "wb") as f:
        write_mo(f, catalog)
    print(f"{len(catalog)} corrections written to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
