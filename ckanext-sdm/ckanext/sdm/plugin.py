import ckan.plugins as p


class SdmPlugin(p.SingletonPlugin):
    pass
