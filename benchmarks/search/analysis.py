"""Chinese analysis compared on real Solr: the same corpus, queries and
judgements (tests/search/) under four ways of cutting Chinese into words.

    dev/services.sh up    # the harness Solr, if it is not running
    .venv/bin/python benchmarks/search/analysis.py [--write-docs]

  jieba    what ckanext-sdm ships: jieba segments (cut_for_search) and opencc
           folds Traditional to Simplified in Python; Solr's text_zh splits
           on whitespace (schemas/solr/schema.xml)
  smartcn  Lucene SmartChinese (HMMChineseTokenizerFactory) segments in Solr
  icu      the ICU tokenizer (dictionary-based CJK word breaks) in Solr
  bigram   StandardTokenizer + CJKBigramFilter: overlapping character pairs

For the three Solr-side analysers the Python side only folds to Simplified
(opencc, the project's one folding; an ICU transform is a token filter and
cannot fold before smartcn's dictionary sees the text) and sends each run of
Chinese whole; q.op=AND makes every token Solr cuts from it required, as the
jieba path requires every word.  Each is measured without and with the
schema's synonyms (sdm_schema.synonyms); for the Solr-side analysers a
synonym is recognised only when it is a whole run of Chinese or whole
Latin words, since the query is not cut in Python.

Documents are the public corpus datasets with the per-language fields that
before_dataset_index writes (ckanext.sdm.search.language_fields); queries are
the rewriting CKAN does (search_text.query_clauses, search.query_fields with
the Chinese UI), sent straight to Solr: CKAN's own filters and the hidden
datasets play no part here (tests/search/test_corpus.py measures through
CKAN).  Each analyser gets a scratch core, dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "..", "tests", "search")]

import solr_cores  # noqa: E402
from search_metrics import load_queries, replace_table, score  # noqa: E402

from ckanext.sdm import search, search_text  # noqa: E402

DOC = os.path.join(HERE, "..", "..", "docs", "search.md")
BEGIN, END = "<!-- analysis:begin -->", "<!-- analysis:end -->"


def _field_type(tokenizer: str, *filters: str) -> str:
    chain = "\n".join(f'            <filter class="{f}"/>' for f in filters)
    return (
        '    <fieldType name="text_zh" class="solr.TextField" positionIncrementGap="100" '
        'autoGeneratePhraseQueries="false">\n        <analyzer>\n'
        f'            <tokenizer class="{tokenizer}"/>\n{chain}\n        </analyzer>\n    </fieldType>\n'
    )


_WIDTH_CASE = ("solr.CJKWidthFilterFactory", "solr.LowerCaseFilterFactory")
#: name: (text_zh field type or None for the shipped one, Python-side
#: Chinese for the index, the query's cut of a Chinese run, extra params)
ANALYSERS = {
    "jieba": (None, search_text.index_text, None, {}),
    "smartcn": (
        _field_type("solr.HMMChineseTokenizerFactory", *_WIDTH_CASE),
        search_text.fold,
        lambda run: [run],
        {"q.op": "AND"},
    ),
    "icu": (
        _field_type("solr.ICUTokenizerFactory", *_WIDTH_CASE),
        search_text.fold,
        lambda run: [run],
        {"q.op": "AND"},
    ),
    "bigram": (
        _field_type("solr.StandardTokenizerFactory", *_WIDTH_CASE, "solr.CJKBigramFilterFactory"),
        search_text.fold,
        lambda run: [run],
        {"q.op": "AND"},
    ),
}


def _corpus() -> list:
    from search_corpus import load_corpus  # noqa: F401  (imports CKAN's test helpers)

    return [d for d in load_corpus()["datasets"] if not d.get("hidden")]


def _documents(datasets: list, chinese) -> list:
    return [
        {
            "index_id": d["name"],
            "id": d["name"],
            "site_id": "bench",
            "name": d["name"],
            **search.language_fields(d, chinese),
        }
        for d in datasets
    ]


def _run(core, queries: list, cut, extra: dict, expand: bool) -> dict:
    qf = search.query_fields(search.ZH)
    found = {}
    for query in queries:
        q = " ".join(search_text.query_clauses(query["q"], expand=expand, cut=cut))
        params = {"q": q, "defType": "edismax", "mm": "0", "qf": qf, "fl": "name", "rows": 1000, **extra}
        found[query["q"]] = [d["name"] for d in core.select(params)["response"]["docs"]]
    return found


ROW_KINDS = ("zh", "traditional", "mixed", "cross", "all")


def _row(name: str, expand: bool, scores: dict) -> str:
    cells = []
    for kind in ROW_KINDS:
        s = scores[kind]
        cells += [f"{s.precision:.2f}", f"{s.recall:.2f}", f"{s.ndcg:.2f}"]
    cells.append(f"{scores['all'].mrr:.2f}")
    return f"| {name} | {'yes' if expand else 'no'} | " + " | ".join(cells) + " |"


def measure() -> str:
    queries = load_queries()
    datasets = _corpus()
    head = "| analyser | synonyms | " + " | ".join(f"{k} P | {k} R | {k} nDCG@10" for k in ROW_KINDS) + " | all MRR |"
    rows = [head, "|---|---|" + "---:|" * (3 * len(ROW_KINDS) + 1)]
    for name, (field_type, chinese, cut, extra) in ANALYSERS.items():
        core = solr_cores.create(f"sdm_bench_{name}", field_type)
        try:
            core.add(_documents(datasets, chinese))
            for expand in (False, True):
                rows.append(_row(name, expand, score(queries, _run(core, queries, cut, extra, expand))))
        finally:
            core.drop()
    return "\n".join(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write-docs", action="store_true", help="put the table into docs/search.md")
    args = parser.parse_args(argv)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    table = measure()
    n = len(load_queries())
    print(f"Apache Solr {solr_cores.solr_version()}, {len(_corpus())} datasets, {n} queries, {started}")
    print("command: .venv/bin/python benchmarks/search/analysis.py")
    print(table)
    if args.write_docs:
        replace_table(DOC, table, BEGIN, END)
    return 0


if __name__ == "__main__":
    sys.exit(main())
