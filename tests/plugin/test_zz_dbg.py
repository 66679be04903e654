import pytest
from ckan.tests.helpers import call_action
pytestmark = [pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")]
def test_dl(app, create_dataset):
    create_dataset(name="open-data", title_translated={"zh-Hans": "x", "en": "y"}, resources=[{"url": "https://f.example.cn/a.csv"}])
    rid = call_action("package_show", id="open-data")["resources"][0]["id"]
    app.flask_app.config["PROPAGATE_EXCEPTIONS"] = True
    d = app.get(f"/dataset/open-data/resource/{rid}/download", follow_redirects=False)
    print(d.status_code, d.body[:3000])
    assert 0
