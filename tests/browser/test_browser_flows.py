"""What administrators, editors and the public do in the browser, in Chinese
and English, in headless Chromium against the live CKAN of conftest.py:
create a unit and a dataset through the forms, edit one, find it, read why a
file is withheld, apply for it and have the application decided, switch the
language on a page.  Expected texts come from the schema's messages and the
datasets' own values, never from a copy.
"""

import pytest
from browser_actors import CONDITIONAL, SYSADMIN, TAG, User, unit_fields
from playwright.sync_api import expect

from ckanext.sdm.slugs import slugify
from sdm_schema import codelist, message, organization_fields
from sdm_schema.errors import bilingual

EDITOR = User("wang-editor", "editor-pass-2026", "wang@example.cn", "王编辑")
RESEARCHER = User("li-researcher", "researcher-pass-2026", "li@example.cn", "Li Researcher")
UNIT = unit_fields("nmic", "91110000600037341L", "国家气象信息中心", "National Meteorological Information Centre")
PRECIPITATION = {
    "name": "daily-precipitation",
    "private": False,
    "title_translated": {
        "zh-Hans": "全国地面气象站逐日降水数据",
        "en": "Daily precipitation of national surface stations",
    },
    "notes_translated": {
        "zh-Hans": "两千四百个国家级地面站的逐日降水量。",
        "en": "Daily totals at 2,400 national surface stations.",
    },
    "disclosure": "deferred",
    "deferral_reason": "paper",
    "embargo_until": "2027-06-30",
    "resources": [{"url": "https://files.example.cn/precipitation-2024.csv", "name": "precipitation-2024.csv"}],
}
STATIONS = {
    "name": "station-observations",
    "private": False,
    "title_translated": {
        "zh-Hans": "自动气象站分钟观测数据",
        "en": "Minute observations of automatic weather stations",
    },
    **CONDITIONAL,
    "resources": [{"url": "https://files.example.cn/stations-minute.csv", "name": "stations-minute.csv"}],
}
SOIL = {
    "name": "soil-moisture",
    "private": False,
    "title_translated": {"zh-Hans": "土壤水分观测数据", "en": "Soil moisture observations"},
    "notes_translated": {"zh-Hans": "农业气象站的土壤水分。", "en": "Soil moisture at agrometeorological stations."},
}


def text(key: str, locale: str, **params) -> str:
    return message(key, **params)[TAG[locale]]


def label(codes: str, code: str, locale: str) -> str:
    return codelist(codes).label_of(code, TAG[locale])


@pytest.fixture(scope="module")
def catalogue(site):
    """A unit with an editor, a researcher, and three datasets: deferred,
    conditional, plain; set up through the site's API."""
    api = site.api.action
    unit = api.organization_create(**UNIT)
    site.add_user(EDITOR)
    site.add_user(RESEARCHER)
    api.organization_member_create(id=unit["id"], username=EDITOR.name, role="editor")
    return {
        "unit": unit,
        **{d["name"]: api.package_create(owner_org=unit["id"], **d) for d in (PRECIPITATION, STATIONS, SOIL)},
    }


# -- an administrator creates a unit and a dataset through the forms ----------------
NEW = {
    "zh": {
        "unit": {
            "name": "sichuan-met",
            "uscc": "91510100MA61R1234W",
            "title": {"zh-Hans": "四川省气象局", "en": "Sichuan Meteorological Service"},
        },
        # no URL name typed: the form spells the Chinese title in pinyin
        "dataset": {"name": None, "title": {"zh-Hans": "四川省逐时降雨量", "en": "Hourly rainfall in Sichuan"}},
    },
    "en": {
        "unit": {
            "name": "nstl",
            "uscc": "12100000400000123X",
            "title": {"zh-Hans": "国家科技图书文献中心", "en": "National Science and Technology Library"},
        },
        "dataset": {"name": "journal-citations", "title": {"zh-Hans": "期刊引文数据", "en": "Journal citation data"}},
    },
}


def _fill_translated(page, field: str, values: dict) -> None:
    for tag, value in values.items():
        page.fill(f"#field-{field}-{tag}", value)


def _uscc_refusal(typed: str) -> str:
    """What the form says of a mistyped credit code, under the field and in the
    summary above the form alike: each language names the field once."""
    field = next(f for f in organization_fields() if f.name == "uscc")
    refusal = bilingual(message("bad_uscc_checksum", field, value=typed))
    assert all(refusal.count(label) == 1 for label in field.label.values()), refusal
    return refusal


def _create_unit(admin, unit: dict) -> None:
    """The organisation form, first with a mistyped credit code: refused in
    both languages with what was typed kept, then corrected and saved."""
    page = admin.page
    admin.goto("/organization/new")
    _fill_translated(page, "title_translated", unit["title"])
    admin.slug(unit["name"])
    typed = unit["uscc"][:-1] + ("0" if unit["uscc"][-1] != "0" else "1")
    page.fill("#field-uscc", typed)
    with page.expect_navigation():
        page.click("form:has(#field-uscc) button[type=submit]")
    refusal = _uscc_refusal(typed)
    expect(page.locator(".error-explanation li[data-field-label=uscc]")).to_have_text(refusal)
    expect(page.locator(".form-group:has(#field-uscc) .error-block")).to_have_text(refusal)
    expect(page.locator("#field-title_translated-zh-Hans")).to_have_value(unit["title"]["zh-Hans"])
    admin.shoot(f"unit-form-error-{admin.locale}")
    page.fill("#field-uscc", unit["uscc"])
    with page.expect_navigation():
        page.click("form:has(#field-uscc) button[type=submit]")
    assert page.url.endswith(f"/organization/{unit['name']}"), page.url


def _create_dataset(admin, unit: dict, dataset: dict) -> None:
    """The two stages of CKAN's dataset form: the metadata (public,
    conditionally open, whose conditions appear once chosen), then a link."""
    page = admin.page
    name = dataset["name"] or slugify(dataset["title"]["zh-Hans"])
    admin.goto("/dataset/new")
    admin.dataset_form_ready()
    page.select_option("#field-private", "False")
    _fill_translated(page, "title_translated", dataset["title"])
    if dataset["name"]:
        admin.slug(dataset["name"])
    else:  # prefilled from the title while it is typed (sdm-slug.js, pinyin by the site)
        expect(page.locator("#field-name")).to_have_value(name)
    admin.choose("field-organizations", *unit["title"].values())
    expect(page.locator("#field-open_condition")).to_be_hidden()
    page.select_option("#field-open_attribute", "conditional")
    page.fill("#field-open_condition", "签署数据使用协议 / Sign the data use agreement")
    page.check("#field-open_audience-researchers")
    page.fill("#field-review_procedure", "十个工作日内审核 / Decided within ten working days")
    page.locator("#field-open_attribute").scroll_into_view_if_needed()
    admin.shoot(f"dataset-form-conditional-{admin.locale}", full_page=False)
    with page.expect_navigation():
        page.click("form:has(#field-name) button[name=save]")
    assert page.url.endswith(f"/dataset/{name}/resource/new"), page.url
    page.click("#resource-link-button")
    page.fill("#field-resource-url", f"https://files.example.cn/{name}.csv")
    page.fill("#field-name", f"{name}.csv")
    with page.expect_navigation():
        page.click("button[name=save][value=go-metadata]")


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_an_administrator_creates_a_unit_and_a_dataset_through_the_forms(actor, catalogue, locale):
    new = NEW[locale]
    admin = actor(locale, SYSADMIN)
    _create_unit(admin, new["unit"])
    expect(admin.page.locator("h1.heading")).to_have_text(new["unit"]["title"][TAG[locale]])
    _create_dataset(admin, new["unit"], new["dataset"])
    page = admin.page
    name = new["dataset"]["name"] or slugify(new["dataset"]["title"]["zh-Hans"])
    assert page.url.endswith(f"/dataset/{name}"), page.url
    expect(page.locator("h1").first).to_have_text(new["dataset"]["title"][TAG[locale]])
    expect(page.locator(".sdm-badges")).to_contain_text(label("open_attribute", "conditional", locale))
    expect(page.locator(".resource-item")).to_contain_text(f"{name}.csv")
    admin.shoot(f"dataset-page-administrator-{locale}")


def test_the_unit_picker_speaks_the_readers_language(actor, catalogue):
    for locale in ("en", "zh"):
        admin = actor(locale, SYSADMIN)
        admin.goto("/dataset/new")
        admin.page.locator("#field-organizations").wait_for(state="attached")
        names = [name.strip() for name in admin.page.locator("#field-organizations option").all_inner_texts()]
        assert UNIT["title_translated"][TAG[locale]] in names, names


# -- an editor of the unit corrects a dataset ----------------------------------------
def _press_save_once(page) -> None:
    """Press the save button as a hand does, with the focus still in the field
    just typed: the button must not move between pressing and releasing (it
    once jumped 89 px, and the release then missed it), and that one press saves."""
    save = page.locator("form:has(#field-name) button[name=save]")
    save.scroll_into_view_if_needed()
    before = save.bounding_box()
    page.mouse.move(before["x"] + before["width"] / 2, before["y"] + before["height"] / 2)
    page.mouse.down()
    pressed = save.bounding_box()
    with page.expect_navigation():
        page.mouse.up()
    assert (pressed["x"], pressed["y"]) == (before["x"], before["y"]), (before, pressed)


def test_an_editor_corrects_a_dataset(actor, catalogue):
    editor = actor("zh", EDITOR)
    editor.goto(f"/dataset/{SOIL['name']}")
    page = editor.page
    with page.expect_navigation():
        page.click(f"a[href$='/dataset/edit/{SOIL['name']}']")
    editor.dataset_form_ready()
    expect(page.locator("#field-title_translated-en")).to_have_value(SOIL["title_translated"]["en"])
    page.fill("#field-title_translated-en", "Soil moisture at 10, 20 and 50 cm")
    page.fill("#field-notes_translated-zh-Hans", "农业气象站10、20、50厘米深度的土壤水分。")
    editor.shoot("dataset-edit-zh", full_page=False)
    _press_save_once(page)
    assert page.url.endswith(f"/dataset/{SOIL['name']}"), page.url
    expect(page.locator(".notes")).to_contain_text("10、20、50厘米")
    editor.switch_language("English")
    assert page.url.endswith(f"/en/dataset/{SOIL['name']}"), page.url
    expect(page.locator("h1").first).to_have_text("Soil moisture at 10, 20 and 50 cm")


# -- the public searches in either language and switches language on the page -------
@pytest.mark.parametrize(
    "locale, query, other", [("zh", "降水", "English"), ("en", "precipitation", "中文")], ids=["zh", "en"]
)
def test_the_public_finds_a_dataset_and_reads_it_in_either_language(actor, catalogue, locale, query, other):
    reader = actor(locale)
    reader.goto("/")
    page = reader.page
    page.fill("#field-sitewide-search", query)
    with page.expect_navigation():
        page.press("#field-sitewide-search", "Enter")
    title = PRECIPITATION["title_translated"][TAG[locale]]
    results = page.locator(".dataset-item").filter(has=page.locator(".dataset-heading", has_text=title))
    expect(results).to_have_count(1)
    expect(results).to_contain_text(PRECIPITATION["notes_translated"][TAG[locale]])
    expect(results).to_contain_text(text("withheld_deferred_until", locale, date="2027-06-30"))
    reader.shoot(f"search-{locale}")
    with page.expect_navigation():
        results.locator(".dataset-heading a").click()
    expect(page.locator("h1").first).to_have_text(PRECIPITATION["title_translated"][TAG[locale]])
    # the language selector keeps the reader on the same page
    reader.switch_language(other)
    assert page.url.rstrip("/").endswith(f"/dataset/{PRECIPITATION['name']}"), page.url
    shown = "en" if other == "English" else "zh-Hans"
    expect(page.locator("h1").first).to_have_text(PRECIPITATION["title_translated"][shown])


# -- withheld files say why, until when and how to get them ---------------------------
def test_a_deferred_dataset_says_when_its_files_come(actor, catalogue):
    reader = actor("zh")
    reader.goto(f"/dataset/{PRECIPITATION['name']}")
    withheld = reader.page.locator(".sdm-withheld")
    expect(withheld).to_contain_text(text("withheld_heading", "zh"))
    expect(withheld).to_contain_text(text("withheld_deferred_until", "zh", date="2027-06-30"))
    expect(reader.page.locator(".resource-item")).to_have_count(0)
    expect(reader.page.locator("#dataset-resources .empty, section.resources .empty")).to_have_count(0)
    assert PRECIPITATION["resources"][0]["url"] not in reader.page.content()
    reader.shoot("withheld-deferred-zh")


def test_a_withheld_files_page_says_how_to_get_it(actor, catalogue):
    reader = actor("en")
    resource = catalogue[STATIONS["name"]]["resources"][0]
    response = reader.goto(f"/dataset/{STATIONS['name']}/resource/{resource['id']}")
    assert response.status == 403
    page = reader.page
    expect(page.locator("h1").first).to_contain_text(text("withheld_resource", "en"))
    expect(page.locator("body")).to_contain_text(text("withheld_conditional", "en"))
    expect(page.get_by_role("link", name=text("access_request_title", "en"))).to_be_visible()
    assert resource["url"] not in page.content()
    reader.shoot("withheld-file-en")


# -- an application, filed by a researcher and decided by the unit's editor ---------
APPLICATION = {
    "purpose": "Regional precipitation change since 1980",
    "intended_use": "A journal article",
    "applicant_unit": "Sichuan University",
}


def _apply(researcher) -> None:
    """From the dataset page: apply, sign in when asked, fill the form."""
    page = researcher.page
    researcher.goto(f"/dataset/{STATIONS['name']}")
    with page.expect_navigation():
        page.get_by_role("link", name=text("access_request_title", "en")).click()
    assert "/en/user/login" in page.url, page.url  # signing in keeps the reader's language
    researcher.sign_in_here(RESEARCHER)
    assert page.url.endswith(f"/en/dataset/{STATIONS['name']}/access-request"), page.url
    expect(page.locator(".sdm-conditions")).to_contain_text(STATIONS["open_condition"])
    for name, value in APPLICATION.items():
        page.fill(f"#sdm-{name}", value)
    page.select_option("#sdm-free_use_purpose", "public_interest_research")
    researcher.shoot("access-request-form-en")
    with page.expect_navigation():
        page.click("form.sdm-access-request button[type=submit]")


def _decide(editor, button: str, reason: str) -> None:
    """From the header's queue link to the dataset's applications: decide."""
    page = editor.page
    editor.goto("/")
    queue = page.locator("a[href$='/dashboard/access-requests/queue']")
    expect(queue.locator(".sdm-queue-count")).to_have_text("1" if button == "access_request_approve" else "0")
    with page.expect_navigation():
        queue.click()
    with page.expect_navigation():
        page.locator(".sdm-queue-counts a", has_text=STATIONS["title_translated"]["zh-Hans"]).click()
    request = page.locator(".sdm-access-request[data-status=pending]")
    expect(request).to_contain_text(label("free_use_purpose", "public_interest_research", "zh"))
    request.locator("input[name=reason]").fill(reason)
    request.locator("input[name=days]").fill("30")
    editor.shoot("access-request-decide-zh")
    with page.expect_navigation():
        request.get_by_role("button", name=text(button, "zh")).click()


def test_an_application_is_filed_decided_and_revoked_in_the_pages(actor, catalogue):
    researcher = actor("en")
    _apply(researcher)
    mine = researcher.page
    assert mine.url.endswith("/en/dashboard/access-requests"), mine.url
    expect(mine.locator(".sdm-status")).to_have_text(text("access_request_status_pending", "en"))

    editor = actor("zh", EDITOR)
    _decide(editor, "access_request_approve", "符合开放条件")
    expect(editor.page.locator(".sdm-access-request .sdm-status")).to_have_text(
        text("access_request_status_approved", "zh")
    )

    researcher.goto("/")
    menu_link = mine.locator(f"a[title='{text('access_request_mine', 'en')}']")
    expect(menu_link.locator("i")).to_be_visible()  # an icon the page's icon font has
    with mine.expect_navigation():
        menu_link.click()
    expect(mine.locator(".sdm-status")).to_have_text(text("access_request_status_approved", "en"))
    expect(mine.locator(".sdm-access-request")).to_contain_text("符合开放条件")
    researcher.shoot("access-requests-mine-en")
    researcher.goto(f"/dataset/{STATIONS['name']}")
    download = mine.locator(".resource-item .sdm-download")
    expect(download).to_have_attribute("href", STATIONS["resources"][0]["url"])

    # the editor revokes the grant: the files are withheld again at once
    editor.page.locator(".sdm-revoke input[name=reason]").fill("违反使用协议")
    with editor.page.expect_navigation():
        editor.page.click(".sdm-revoke button[type=submit]")
    mine.reload()
    expect(mine.locator(".sdm-withheld")).to_be_visible()
    expect(mine.locator(".resource-item")).to_have_count(0)
