"""One reading of DOI, CSTR and USCC spellings, shared by the validators,
the DCAT reader and the OAI-PMH source."""

import pytest

from sdm_schema import dataset_field, identifiers
from sdm_schema.errors import Invalid
from sdm_schema.validation import Context, check_field

SPELLINGS = [
    ("doi:10.11922/sciencedb.06290", "doi", "10.11922/sciencedb.06290"),
    ("https://doi.org/10.11922/sciencedb.06290", "doi", "10.11922/sciencedb.06290"),
    ("HTTP://DX.DOI.ORG/10.5281/zenodo.1", "doi", "10.5281/zenodo.1"),
    ("10.11922/sciencedb.06290", "doi", "10.11922/sciencedb.06290"),
    ("CSTR:31253.11.sciencedb.06290", "cstr", "CSTR:31253.11.sciencedb.06290"),
    ("cstr:31253.11.sciencedb.06290", "cstr", "CSTR:31253.11.sciencedb.06290"),
    ("https://cstr.cn/31253.11.sciencedb.06290", "cstr", "CSTR:31253.11.sciencedb.06290"),
    ("https://www.cstr.cn/CSTR:31253.11.sciencedb.06290", "cstr", "CSTR:31253.11.sciencedb.06290"),
]


@pytest.mark.parametrize("text,scheme,value", SPELLINGS)
def test_recognition_and_validation_agree(text, scheme, value):
    assert identifiers.recognise(text) == (scheme, value)
    assert check_field(dataset_field(scheme), text, {}, Context()) == value


def test_a_labelled_but_malformed_cstr_is_recognised_so_validation_can_name_it():
    assert identifiers.recognise("CSTR:abc") == ("cstr", "CSTR:abc")
    with pytest.raises(Invalid):
        check_field(dataset_field("cstr"), "CSTR:abc", {}, Context())


@pytest.mark.parametrize("text", ["urn:uuid:1234", "11000/A00034VG345", "10.1/x", ""])
def test_other_identifiers_are_neither(text):
    assert identifiers.recognise(text) is None


def test_uscc_check_character_is_verified():
    assert identifiers.uscc(" 91110000600037341L ") == "91110000600037341L"
    with pytest.raises(ValueError):
        identifiers.uscc("91110000600037341X")
