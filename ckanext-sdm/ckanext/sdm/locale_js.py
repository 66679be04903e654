"""Work around CKAN 2.11's JavaScript locale request for zh_Hans_CN.

CKAN writes <html lang="zh_Hans-CN"> and its JavaScript asks
/api/i18n/zh_Hans-CN, which the i18n view refuses (400) because the locale
is zh_Hans_CN.  CKAN starts its JavaScript modules only after that request
succeeds, so on a Chinese-default site no module runs at all.  This route
answers the hyphenated spelling with the real locale's translations.
"""

from ckan.views.api import i18n_js_translations
from flask import Blueprint, Response

locale_js = Blueprint("sdm_locale_js", __name__)


@locale_js.route("/api/i18n/<prefix>_<script>-<region>")
def hyphenated_locale(prefix: str, script: str, region: str) -> str | Response:
    return i18n_js_translations(f"{prefix}_{script}_{region}")
