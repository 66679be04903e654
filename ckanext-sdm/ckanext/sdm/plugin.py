"""The `sdm` plugin: wires the SDM schema's rules, labels and disclosure
policy into CKAN.

List it before scheming so its helpers and validators are in place when
scheming loads the schema:
    ckan.plugins = sdm scheming_datasets scheming_organizations dcat activity
"""

from collections import OrderedDict

import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk
import click
from ckan.common import CKANConfig
from ckan.lib.plugins import DefaultTranslation
from flask import Blueprint

from ckanext.sdm import (
    access,
    access_requests,
    admin,
    audit,
    authorisations,
    catalog,
    cli,
    conditional_get,
    evaluation,
    evaluation_pages,
    feedback,
    feedback_pages,
    harvest_status,
    helpers,
    pages,
    search,
    slugs,
    submission,
    validators,
    views,
)
from ckanext.sdm.locale_js import locale_js


def _one_each(*tables: dict) -> dict:
    """The modules' helpers, actions or auth functions as one table; a name
    two modules define would silently let the later one win (a helper of
    the same name once broke the home page), so it stops the site instead."""
    out: dict = {}
    for table in tables:
        twice = out.keys() & table.keys()
        if twice:
            raise ValueError(f"ckanext-sdm: {', '.join(sorted(twice))} defined twice")
        out.update(table)
    return out


@tk.blanket.config_declarations
class SdmPlugin(p.SingletonPlugin, DefaultTranslation):
    p.implements(p.IConfigurer)
    p.implements(p.IValidators)
    p.implements(p.ITemplateHelpers)
    p.implements(p.IAuthFunctions)
    p.implements(p.IActions)
    p.implements(p.IPackageController, inherit=True)
    p.implements(p.IPermissionLabels)
    p.implements(p.IClick)
    p.implements(p.IBlueprint)
    p.implements(p.IFacets, inherit=True)
    # i18n/: corrections to CKAN's zh_Hans_CN strings (dev/zh-corrections.py)
    p.implements(p.ITranslation)

    _labels = access.PermissionLabels()

    # IConfigurer
    def update_config(self, config: CKANConfig) -> None:
        tk.add_template_directory(config, "templates")
        tk.add_resource("assets", "ckanext-sdm")

    # IValidators
    def get_validators(self) -> dict:
        return validators.get_validators()

    # ITemplateHelpers
    def get_helpers(self) -> dict:
        return _one_each(
            helpers.get_helpers(),
            search.get_helpers(),
            access_requests.HELPERS,
            pages.get_helpers(),
            feedback.HELPERS,
            {"sdm_evaluation_badge": evaluation.editor_badge},
        )

    # IAuthFunctions
    def get_auth_functions(self) -> dict:
        return _one_each(
            access.AUTH_FUNCTIONS,
            submission.AUTH_FUNCTIONS,
            access_requests.AUTH_FUNCTIONS,
            audit.AUTH_FUNCTIONS,
            slugs.AUTH_FUNCTIONS,
            feedback.AUTH_FUNCTIONS,
            authorisations.AUTH_FUNCTIONS,
            evaluation.AUTH_FUNCTIONS,
            harvest_status.AUTH_FUNCTIONS,
        )

    # IActions
    def get_actions(self) -> dict:
        return _one_each(
            access.ACTIONS,
            submission.ACTIONS,
            access_requests.ACTIONS,
            audit.ACTIONS,
            catalog.ACTIONS,
            slugs.ACTIONS,
            feedback.ACTIONS,
            authorisations.ACTIONS,
            evaluation.ACTIONS,
            harvest_status.ACTIONS,
        )

    # IPackageController
    def after_dataset_show(self, context: dict, pkg_dict: dict) -> dict:
        access.redact_shown(context, pkg_dict)
        return pkg_dict

    def before_dataset_index(self, pkg_dict: dict) -> dict:
        return search.index_fields(access.index_fields(pkg_dict))

    def before_dataset_search(self, search_params: dict) -> dict:
        return search.rewrite_query(search_params)

    def after_dataset_search(self, search_results: dict, search_params: dict) -> dict:
        return search.label_facets(search_results)

    # IFacets
    def dataset_facets(self, facets_dict: OrderedDict, package_type: str) -> OrderedDict:
        return search.add_facets(facets_dict)

    def organization_facets(
        self, facets_dict: OrderedDict, organization_type: str, package_type: str | None
    ) -> OrderedDict:
        return search.add_facets(facets_dict)

    # IBlueprint
    def get_blueprint(self) -> list[Blueprint]:
        return [
            views.sdm,
            admin.admin,
            locale_js,
            conditional_get.blueprint,
            feedback_pages.blueprint,
            evaluation_pages.blueprint,
        ]

    # IClick
    def get_commands(self) -> list[click.Command]:
        return cli.get_commands()

    # IPermissionLabels
    def get_dataset_labels(self, dataset_obj: model.Package) -> list[str]:
        return self._labels.get_dataset_labels(dataset_obj)

    def get_user_dataset_labels(self, user_obj: model.User | None) -> list[str]:
        return self._labels.get_user_dataset_labels(user_obj)
