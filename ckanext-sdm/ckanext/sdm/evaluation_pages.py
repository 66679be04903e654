"""The evaluation's public pages and exports: /evaluation (every unit
ranked, with bands) and /organization/<id>/evaluation (the unit's
indicators, its worst datasets with the exact problem and a link to fix it,
its score over time and its openness), in the reader's language, with CSV
and JSON beside them.

The pages call the actions (sdm_evaluation_list / _show), so they show
what the API shows to the same viewer.  Charts are SVG drawn on the server
by pygal, inline and readable without JavaScript; each has its numbers in
a table beside it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Callable

import ckan.plugins.toolkit as tk
from flask import Blueprint, Response
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from ckanext.sdm.access import current_user_name
from ckanext.sdm.helpers import sdm_message, ui_language
from sdm_schema import codelist, evaluation
from sdm_schema.evaluation import report

if TYPE_CHECKING:
    import pygal.graph.graph

blueprint = Blueprint("sdm_evaluation", __name__)


def _context() -> dict:
    return {"user": current_user_name()}


def _names() -> dict:
    """Dimension and indicator labels in the UI language, by key."""
    tag = ui_language()
    names = {d.key: d.label[tag] for d in evaluation.dimensions()}
    names.update({k: i.label[tag] for k, i in evaluation.indicators().items()})
    names.update({f.key: f.label[tag] for f in evaluation.figures()})
    return names


@blueprint.route("/evaluation")
def index() -> ResponseReturnValue:
    units = tk.get_action("sdm_evaluation_list")(_context(), {})
    return tk.render(
        "sdm/evaluation/index.html",
        {"units": units, "names": _names(), "dimensions": evaluation.dimensions(), "figures": evaluation.figures()},
    )


def _export(card: dict, name: str, extension: str, csv_text: Callable[[dict], str]) -> Response:
    if extension == "json":
        return Response(json.dumps(card, ensure_ascii=False, indent=2), mimetype="application/json")
    response = Response(csv_text(card), mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@blueprint.route("/evaluation.<any(json, csv):extension>")
def export(extension: str) -> ResponseReturnValue:
    units = tk.get_action("sdm_evaluation_list")(_context(), {})
    return _export({"units": units}, "evaluation", extension, report.units_csv)


def _unit(id: str):
    try:
        return tk.get_action("sdm_evaluation_show")(_context(), {"id": id, "worst": 100})
    except tk.ObjectNotFound:
        return tk.abort(404, sdm_message("eval_not_evaluated"))


@blueprint.route("/organization/<id>/evaluation.<any(json, csv):extension>")
def unit_export(id: str, extension: str) -> ResponseReturnValue:
    unit = _unit(id)
    return _export(
        {"units": [unit], "datasets": unit["worst"]}, f"evaluation-{unit['name']}", extension, report.datasets_csv
    )


@blueprint.route("/organization/<id>/evaluation")
def unit_page(id: str) -> ResponseReturnValue:
    unit = _unit(id)
    group_dict = tk.get_action("organization_show")(_context(), {"id": unit["unit"]})
    return tk.render(
        "sdm/evaluation/unit.html",
        {
            "unit": unit,
            "group_dict": group_dict,
            "group_type": "organization",
            "names": _names(),
            "tag": ui_language(),
            "dimensions": evaluation.dimensions(),
            "figures": evaluation.figures(),
            "trend_chart": trend_chart(unit["trend"]),
            "openness_chart": openness_chart(unit["openness"]),
            "openness_labels": _openness_labels(),
            "bands": {b.code: {"code": b.code, "label": dict(b.label)} for b in evaluation.bands()},
        },
    )


# -- charts ---------------------------------------------------------------------------


def _style():
    import pygal.style

    return pygal.style.Style(
        background="white",
        plot_background="white",
        font_family="sans-serif",
        colors=("#206b82", "#8ab04a", "#e0a526", "#c0392b"),
    )


def _svg(chart: pygal.graph.graph.Graph) -> Markup:
    """The chart as inline SVG, without pygal's script (its tooltips'
    settings): the page stays readable, and scriptless, without JavaScript."""
    from lxml import etree

    root = etree.fromstring(chart.render(is_unicode=False))
    for script in root.iter("{http://www.w3.org/2000/svg}script"):
        script.getparent().remove(script)
    return Markup(etree.tostring(root, encoding="unicode"))


def trend_chart(trend: list) -> Markup:
    import pygal

    chart = pygal.Line(
        style=_style(),
        js=[],
        width=640,
        height=280,
        range=(0, 100),
        show_legend=False,
        print_values=True,
        title=sdm_message("eval_trend"),
        x_label_rotation=30,
    )
    chart.x_labels = [point["day"] for point in trend]
    chart.add(sdm_message("eval_score"), [point["score"] for point in trend])
    return _svg(chart)


def _openness_labels() -> dict:
    tag = ui_language()
    return {item.code: item.label[tag] for item in codelist("open_attribute")}


def openness_chart(openness: dict) -> Markup:
    import pygal

    top = max([*openness.values(), 1])
    chart = pygal.HorizontalBar(
        style=_style(),
        js=[],
        width=640,
        height=240,
        print_values=True,
        legend_at_bottom=True,
        title=sdm_message("eval_openness"),
    )
    chart.y_labels = list(range(0, top + 1, max(1, top // 5)))  # whole datasets on the axis
    labels = _openness_labels()
    for code, count in openness.items():
        chart.add(labels[code], [count])
    return _svg(chart)
