"""Take the administrator's guide screenshots in a real browser.

Needs a running `make ckan-up`, Debian's chromium and chromium-driver, a
CJK font (fonts-noto-cjk) and `pip install selenium`:

    make ckan-up && .venv/bin/python docs/screenshots.py

It creates a responsible unit and the sample dataset through the API (once),
signs in as the ckan-up sysadmin and saves PNGs to docs/img/.
"""
import json
import os
import sys

import ckanapi
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SITE = os.environ.get("SDM_SITE", "http://127.0.0.1:5000")
OUT = os.path.join(ROOT, "docs", "img")


def seed(ckan):
    try:
        ckan.action.organization_show(id="cma")
    except ckanapi.NotFound:
        ckan.action.organization_create(
            name="cma", uscc="91110000600037341L",
            title_translated={"zh-Hans": "国家气象信息中心", "en": "National Meteorological Information Centre"})
    with open(os.path.join(ROOT, "examples", "ckan", "sdm_dataset_full.json"), encoding="utf-8") as f:
        dataset = json.load(f)
    try:
        ckan.action.package_show(id=dataset["name"])
    except ckanapi.NotFound:
        ckan.action.package_create(owner_org="cma", **dataset)
    return dataset["name"]


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1280,2400"):
        options.add_argument(flag)
    return webdriver.Chrome(service=webdriver.ChromeService("/usr/bin/chromedriver"), options=options)


def sign_in(driver):
    driver.get(SITE + "/user/login")
    driver.find_element(By.ID, "field-login").send_keys("sdmadmin")
    driver.find_element(By.ID, "field-password").send_keys("sdm-admin-pass")
    driver.find_element(By.CSS_SELECTOR, "form.form-horizontal button[type=submit], form button.btn-primary").click()


def shoot(driver, path, name, height=2400):
    driver.set_window_size(1280, height)
    driver.get(SITE + path)
    full = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(1280, min(full, 6000))
    driver.save_screenshot(os.path.join(OUT, name))
    print("saved", os.path.join("docs", "img", name))


def main():
    token = open(os.path.join(ROOT, "out", "ckan", "sysadmin.token")).read().strip()
    name = seed(ckanapi.RemoteCKAN(SITE, apikey=token))
    driver = browser()
    try:
        shoot(driver, f"/dataset/{name}", "dataset-page-public-zh.png")
        shoot(driver, f"/en/dataset/{name}", "dataset-page-public-en.png")
        sign_in(driver)
        shoot(driver, "/dataset/new", "dataset-form-zh.png")
        Select(driver.find_element(By.ID, "field-open_attribute")).select_by_value("conditional")
        driver.save_screenshot(os.path.join(OUT, "dataset-form-conditional-zh.png"))
        print("saved docs/img/dataset-form-conditional-zh.png")
        shoot(driver, "/en/dataset/new", "dataset-form-en.png")
        shoot(driver, f"/dataset/{name}", "dataset-page-editor-zh.png")
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main())
