"""Regenerate the extension's corrections to CKAN's zh_Hans_CN catalogue.

CKAN 2.11.6's Simplified Chinese catalogue has wrong words (登陆 for 登录,
域/价值 for the table header 字段/值, 次 for 此), Traditional characters in
strings of the Simplified home page, and plural entries that only work while
the plural rule is nplurals=1: ckanext-dcat's missing zh catalogue resets
flask-babel's merged plural rule to (n != 1), so "N datasets found" falls back
to English.  This writes every CKAN entry that needs one of these fixes to
ckanext-sdm/ckanext/sdm/i18n/zh_Hans_CN/LC_MESSAGES/ckanext-sdm.po, plural
entries with both forms, and compiles the .mo beside it.  It also gives the
strings CKAN's catalogue leaves untranslated (or English) that the main pages
show in Chinese (MISSING; found by walking them in the browser,
tests/browser/test_browser_zh_pages.py):

    .venv/bin/python dev/zh-corrections.py

tests/plugin/test_pages_i18n.py checks the .mo is the .po compiled.
"""

import os
import sys
from typing import Callable

import ckan
import opencc
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "ckanext-sdm", "ckanext", "sdm", "i18n", "zh_Hans_CN", "LC_MESSAGES")
SOURCE = os.path.join(os.path.dirname(ckan.__file__), "i18n", "zh_Hans_CN", "LC_MESSAGES", "ckan.po")
#: Whole-word corrections, applied to every string (追随 "to follow a leader" for following a dataset;
#: 组织 where the menu and the rest say 机构 for an organisation).
WORDS = {"登陆": "登录", "次机构": "此机构", "追从者": "关注者", "追随": "关注", "组织": "机构"}
#: Strings whose translation is wrong as a whole (table headers of additional_info.html, the API's refusal,
#: 登记 "to enter in a register" for signing up, 授权 "authorisation" for a licence).
WHOLE = {
    "Field": "字段",
    "Value": "值",
    "Access denied": "拒绝访问",
    "Register": "注册",
    "License": "许可协议",
    "Licenses": "许可协议",
    "No License Provided": "未指定许可协议",
    "License not specified": "未指定许可协议",
    "News feed": "动态",
    "Create an Account": "注册账户",
    "Create Account": "注册账户",
}
_MARKDOWN = (
    '<a href="#markdown" title="Markdown quick reference" data-bs-toggle="popover" '
    'data-bs-content="%(markdown_tooltip)s" data-bs-html="true">'
)
_ODBL = '<a href="http://opendatacommons.org/licenses/odbl/1-0/">'
#: CKAN strings with no translation (or the English one) on the main pages, by their msgid (a plural's singular).
MISSING = {
    "Skip to main content": "跳到主要内容",
    '<strong>Powered by</strong> <a class="hide-text ckan-footer-logo" href="http://ckan.org">CKAN</a>': (
        '<strong>技术支持</strong> <a class="hide-text ckan-footer-logo" href="http://ckan.org">CKAN</a>'
    ),
    "There is no description for this dataset": "此数据集没有描述",
    "Username or Email": "用户名或邮箱",
    "Create datasets, groups and other exciting things": "创建数据集、群组以及更多",
    "Profile picture URL": "头像图片网址",
    "Profile settings": "个人设置",
    "Account": "账户",
    "Breadcrumb": "导航路径",
    "Toggle navigation": "切换导航",
    "Submit": "提交",
    "Search Datasets...": "搜索数据集……",
    "Search followee": "搜索关注对象",
    "Activity from:": "动态来自：",
    "View this version": "查看此版本",
    "All activity types": "所有动态类型",
    "Last Active": "最近活动",
    "Reorder resources": "调整资源顺序",
    "{actor} created the {dataset_type} {dataset}": "{actor} 创建了{dataset_type} {dataset}",
    "{actor} updated the {dataset_type} {dataset}": "{actor} 更新了{dataset_type} {dataset}",
    "{actor} deleted the {dataset_type} {dataset}": "{actor} 删除了{dataset_type} {dataset}",
    "Data": "数据",
    "{num} Member": "{num} 名成员",
    "Current Sysadmins": "当前系统管理员",
    "Promote user to Sysadmin": "将用户设为系统管理员",
    "Promote": "设为系统管理员",
    "Revoke Sysadmin permission": "撤销系统管理员权限",
    "Please select the license": "请选择许可协议",
    (
        "<p>As a sysadmin user you have full control over this CKAN instance. Proceed with care!</p> <p>For "
        'guidance on using sysadmin features, see the CKAN  <a href="%(docs_url)s" target="_blank" '
        'rel="noreferrer">sysadmin guide</a></p>'
    ): (
        "<p>作为系统管理员，您对本站拥有完全控制权，请谨慎操作！</p> <p>系统管理功能的用法见 CKAN "
        '<a href="%(docs_url)s" target="_blank" rel="noreferrer">系统管理员指南</a>。</p>'
    ),
    f"You can use {_MARKDOWN}Markdown formatting</a> here": f"可以使用 {_MARKDOWN}Markdown 格式</a>",
    (
        "The <i>data license</i> you select above only applies to the contents of any resource files that you "
        "add to this dataset. By submitting this form, you agree to release the <i>metadata</i> values that you "
        f"enter into the form under the {_ODBL}Open Database License</a>."
    ): (
        "上面选择的<i>许可协议</i>只适用于本数据集的数据文件。提交本表单，即表示您同意按"
        f"{_ODBL}开放数据库许可协议（ODbL）</a>发布您在表单中填写的<i>元数据</i>。"
    ),
}


def corrected(msgid: str, text: str, to_simplified: Callable[[str], str]) -> str:
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
    given = set()
    for message in source:
        if not message.id:
            continue
        plural = isinstance(message.id, (tuple, list))
        msgid, original = (message.id[0], message.string[0]) if plural else (message.id, message.string)
        given.add(msgid)
        text = MISSING.get(msgid) or original
        if not text:
            continue
        text = corrected(msgid, text, to_simplified)
        if plural:
            catalog.add(message.id, (text, text), locations=message.locations[:1])
        elif text != original:
            catalog.add(message.id, text, locations=message.locations[:1])
    unknown = set(MISSING) - given
    if unknown:  # a msgid mistyped, or changed by a CKAN upgrade, would translate nothing
        print(f"not in CKAN's catalogue: {sorted(unknown)}", file=sys.stderr)
        return 1
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "ckanext-sdm.po"), "wb") as f:
        write_po(f, catalog, omit_header=False, width=100, sort_output=True)
    with open(os.path.join(OUT, "ckanext-sdm.mo"), "wb") as f:
        write_mo(f, catalog)
    print(f"{len(catalog)} corrections written to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
