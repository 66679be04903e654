"""OAI-PMH over real HTTP: resumption tokens, deletions, incremental `from`,
repository errors, and hostile XML."""

import os
import urllib.parse

from harvest_helpers import PLATFORMS, run_report, source_report, write_config

from sdm_harvester.store import Store

OAI = "http://www.openarchives.org/OAI/2.0/"


def dc_record(identifier, title_zh, title_en, datestamp="2026-10-01", deleted=False):
    if deleted:
        return f'<record><header status="deleted"><identifier>{identifier}</identifier><datestamp>{datestamp}</datestamp></header></record>'
    return f"""<record><header><identifier>{identifier}</identifier><datestamp>{datestamp}</datestamp></header>
<metadata><oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:title xml:lang="zh-CN">{title_zh}</dc:title><dc:title xml:lang="en">{title_en}</dc:title>
<dc:subject>水文</dc:subject><dc:identifier>https://doi.org/10.5555/{identifier.rsplit(":", 1)[-1]}</dc:identifier>
<dc:rights>info:eu-repo/semantics/openAccess</dc:rights><dc:publisher>巴中市水文局</dc:publisher>
</oai_dc:dc></metadata></record>"""


def page(records, token=""):
    token_element = f"<resumptionToken>{token}</resumptionToken>" if token else "<resumptionToken/>"
    return (
        f'<?xml version="1.0"?><OAI-PMH xmlns="{OAI}"><responseDate>2026-11-01T00:00:00Z</responseDate>'
        f"<ListRecords>{''.join(records)}{token_element}</ListRecords></OAI-PMH>"
    )


def oai_route(pages):
    """pages: {resumptionToken or None: body}; records every request's query."""

    def route(handler):
        query = urllib.parse.parse_qs(handler.path.partition("?")[2])
        body = pages.get(query.get("resumptionToken", [None])[0])
        return (200, {"Content-Type": "text/xml"}, body) if body else (400, {}, "bad token")

    return route


def test_paged_oai_dc_with_deletion(tmp_path, server):
    server.routes["/oai"] = oai_route(
        {
            None: page(
                [dc_record("oai:x:1", "降水数据", "Rainfall"), dc_record("oai:x:2", "蒸发数据", "Evaporation")], "t2"
            ),
            "t2": page([dc_record("oai:x:3", "径流数据", "Runoff")], "t3"),
            "t3": page([dc_record("oai:x:9", "", "", deleted=True)]),
        }
    )
    config = write_config(tmp_path, [{"name": "oai", "type": "oai-pmh", "url": server.url + "/oai"}])
    code, report = run_report(tmp_path, config)
    oai = source_report(report, "oai")
    assert code == 0 and oai["counts"]["new"] == 3 and oai["full_listing"]
    queries = [urllib.parse.parse_qs(q) for path, q, _ in server.requests]
    assert queries[0] == {"verb": ["ListRecords"], "metadataPrefix": ["oai_dc"]}
    assert queries[1] == {"verb": ["ListRecords"], "resumptionToken": ["t2"]}
    store = Store(str(tmp_path / "data"))
    held = {d["harvest_identifier"]: d for d in store.iter_datasets()}
    store.close()
    assert held["oai:x:1"]["title_translated"] == {"zh-Hans": "降水数据", "en": "Rainfall"}
    assert held["oai:x:1"]["doi"] == "10.5555/1" and held["oai:x:1"]["open_attribute"] == "unconditional"
    # the repository later reports record 1 deleted: it is withdrawn
    server.routes["/oai"] = oai_route(
        {
            None: page(
                [
                    dc_record("oai:x:1", "", "", deleted=True),
                    dc_record("oai:x:2", "蒸发数据", "Evaporation"),
                    dc_record("oai:x:3", "径流数据", "Runoff"),
                ]
            )
        }
    )
    code, report = run_report(tmp_path, config)
    assert source_report(report, "oai")["counts"]["withdrawn"] == 1


def test_incremental_asks_from_last_success_and_withdraws_nothing_by_absence(tmp_path, server):
    server.routes["/oai"] = oai_route(
        {None: page([dc_record("oai:x:1", "降水", "Rain"), dc_record("oai:x:2", "蒸发", "Evap")])}
    )
    config = write_config(
        tmp_path, [{"name": "oai", "type": "oai-pmh", "url": server.url + "/oai", "options": {"incremental": True}}]
    )
    run_report(tmp_path, config)
    server.routes["/oai"] = oai_route({None: page([dc_record("oai:x:2", "蒸发", "Evap", "2026-11-20")])})
    server.requests.clear()
    code, report = run_report(tmp_path, config)
    oai = source_report(report, "oai")
    assert "from" in urllib.parse.parse_qs(server.requests[0][1])
    assert oai["counts"]["withdrawn"] == 0 and not oai["full_listing"]
    assert "incremental" in oai["withdrawal"]["reason"]
    # --full lists everything again, and record 1's absence now counts
    server.requests.clear()
    code, report = run_report(tmp_path, config, "--full")
    assert "from" not in urllib.parse.parse_qs(server.requests[0][1])
    assert source_report(report, "oai")["counts"]["withdrawn"] == 1


def test_oai_error_and_no_records(tmp_path, server):
    server.routes["/bad"] = (200, {}, f'<OAI-PMH xmlns="{OAI}"><error code="badArgument">nope</error></OAI-PMH>')
    server.routes["/empty"] = (200, {}, f'<OAI-PMH xmlns="{OAI}"><error code="noRecordsMatch"/></OAI-PMH>')
    config = write_config(
        tmp_path,
        [
            {"name": "bad", "type": "oai-pmh", "url": server.url + "/bad"},
            {"name": "empty", "type": "oai-pmh", "url": server.url + "/empty"},
        ],
    )
    code, report = run_report(tmp_path, config)
    assert code == 1
    assert "badArgument" in source_report(report, "bad")["errors"][0]
    assert source_report(report, "empty")["status"] == "ok"


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    f'<OAI-PMH xmlns="{OAI}"><ListRecords>&lol3;</ListRecords></OAI-PMH>'
)
XXE = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    f'<OAI-PMH xmlns="{OAI}"><ListRecords><record><header><identifier>&x;</identifier></header></record>'
    "</ListRecords></OAI-PMH>"
)


def test_hostile_xml_fails_its_source_only(tmp_path, server):
    server.routes["/laughs"] = (200, {}, BILLION_LAUGHS)
    server.routes["/xxe"] = (200, {}, XXE)
    server.routes["/broken"] = (200, {}, f'<OAI-PMH xmlns="{OAI}"><ListRecords><record>')
    server.routes["/good"] = oai_route({None: page([dc_record("oai:x:1", "降水", "Rain")])})
    config = write_config(
        tmp_path,
        [{"name": n, "type": "oai-pmh", "url": f"{server.url}/{n}"} for n in ("laughs", "xxe", "broken", "good")],
    )
    code, report = run_report(tmp_path, config)
    assert code == 1
    for name in ("laughs", "xxe"):
        error = source_report(report, name)["errors"][0]
        assert error.startswith(f"{name}: {name}: page 1 (http://127.0.0.1") and "declares entities" in error
    assert "malformed XML" in source_report(report, "broken")["errors"][0]
    assert source_report(report, "good")["counts"]["new"] == 1
    store = Store(str(tmp_path / "data"))
    assert not any("root:" in str(d) for d in store.iter_datasets())
    store.close()


def test_bundled_oai_datacite_file_set(tmp_path):
    url = "file://" + os.path.join(PLATFORMS, "oai-pmh", "ListRecords.xml")
    config = write_config(
        tmp_path, [{"name": "forest", "type": "oai-pmh", "url": url, "options": {"metadata_prefix": "oai_datacite"}}]
    )
    code, report = run_report(tmp_path, config)
    forest = source_report(report, "forest")
    assert forest["counts"]["new"] + forest["counts"]["invalid"] == 3
    store = Store(str(tmp_path / "data"))
    held = {d["harvest_identifier"]: d for d in store.iter_datasets()}
    store.close()
    carbon = held["oai:repo.bzforestry.example.cn:ds-101"]
    assert carbon["title_translated"]["en"].startswith("Forest carbon stock")
    assert carbon["discipline"] == ["220"] and carbon["doi"] == "10.12345/bzforest.101"
    assert carbon["keywords_translated"] == {"zh-Hans": ["森林碳储量"], "en": ["forest carbon"]}
    # the embargoed record maps to deferred disclosure with its date, and is
    # reported (not dropped) for lacking a deferral reason
    invalid = {i["record"]: i for i in forest["invalid"]}
    assert [f["field"] for f in invalid["oai:repo.bzforestry.example.cn:ds-102"]["fields"]] == ["deferral_reason"]
