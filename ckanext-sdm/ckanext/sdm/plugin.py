"""The `sdm` plugin: wires the SDM schema's rules and labels into CKAN.

List it before scheming so its helpers and validators are in place when
scheming loads the schema:
    ckan.plugins = sdm scheming_datasets scheming_organizations dcat activity
"""
import ckan.plugins as p
import ckan.plugins.toolkit as tk

from ckanext.sdm import helpers, validators


class SdmPlugin(p.SingletonPlugin):
    p.implements(p.IConfigurer)
    p.implements(p.IValidators)
    p.implements(p.ITemplateHelpers)

    # IConfigurer
    def update_config(self, config):
        tk.add_template_directory(config, "templates")

    # IValidators
    def get_validators(self):
        return validators.get_validators()

    # ITemplateHelpers
    def get_helpers(self):
        return helpers.get_helpers()
