"""docs/evaluation.md lists every indicator with its weight, as indicators.yaml defines them."""

import os
import re

from sdm_schema import evaluation as ev

DOC = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "evaluation.md")


def test_doc_table_matches_the_definitions():
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    rows = dict(re.findall(r"^\| `(\w+)` \| [^|]+ \| ([\d.]+) \|", text, re.M))
    assert rows == {key: f"{i.weight:g}" for key, i in ev.indicators().items()}
    for d in ev.dimensions():
        assert f"| **{d.label['en']}** ({d.label['zh-Hans']}) | | **{d.weight:g}** | |" in text
    for key in ev.indicators():
        assert f"- **`{key}`**" in text, f"{key} has no definition"
