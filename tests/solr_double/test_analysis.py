"""Analysis chains follow the schema's field types."""

import pytest

from .analysis import positions
from .errors import SchemaError
from .schema import Schema
from .tokenizers import standard_tokens


def analyzed(analyzer, text):
    return [(pos, tok.text) for pos, tok in positions(analyzer.analyze(text))]


def texts(analyzer, text):
    return [tok.text for tok in analyzer.analyze(text)]


def test_ckan_text_field_stems_and_folds(ckan_schema):
    kind = ckan_schema.field("text").kind
    assert texts(kind.index_analyzer, "Climates") == ["climat"]
    assert texts(kind.query_analyzer, "climate") == ["climat"]
    assert texts(kind.index_analyzer, "Café naïve") == ["cafe", "naiv"]


def test_word_delimiter_index_and_query_sides(ckan_schema):
    kind = ckan_schema.field("title").kind
    # Index side catenates word parts and stacks them on the first part.
    assert analyzed(kind.index_analyzer, "DataSet Wi-Fi") == [
        (0, "data"), (0, "dataset"), (1, "set"), (2, "wi"), (2, "wifi"),
        (3, "fi")]
    assert analyzed(kind.query_analyzer, "DataSet") == [(0, "data"), (1, "set")]
    assert texts(kind.query_analyzer, "John's XMLParser") == ["john", "xmlparser"]


def test_text_general_does_not_stem(ckan_schema):
    kind = ckan_schema.field("author").kind
    assert texts(kind.index_analyzer, "Climates") == ["climates"]


def test_ngram_tokenizer(ckan_schema):
    kind = ckan_schema.field("title_ngram").kind
    assert texts(kind.index_analyzer, "Abc")[:3] == ["ab", "abc", "bc"]


def test_standard_tokenizer_splits_ideographs_keeps_words():
    tokens = standard_tokens("气象数据 don't 3.14 example.com Wi-Fi カタカナ")
    assert [(t.text, t.type) for t in tokens] == [
        ("气", "<IDEOGRAPHIC>"), ("象", "<IDEOGRAPHIC>"),
        ("数", "<IDEOGRAPHIC>"), ("据", "<IDEOGRAPHIC>"),
        ("don't", "<ALPHANUM>"), ("3.14", "<NUM>"),
        ("example.com", "<ALPHANUM>"), ("Wi", "<ALPHANUM>"),
        ("Fi", "<ALPHANUM>"), ("カタカナ", "<KATAKANA>")]


def test_cjk_bigrams(cjk_schema):
    kind = cjk_schema.field("cjk").kind
    assert analyzed(kind.index_analyzer, "气象数据") == [
        (0, "气象"), (1, "象数"), (2, "数据")]
    # A lone ideograph stays a unigram; Latin text passes through.
    assert texts(kind.index_analyzer, "气 Data") == ["气", "data"]
    # Full-width Latin is folded by CJKWidth before lower-casing.
    assert texts(kind.index_analyzer, "ＡＢＣ") == ["abc"]


def test_standard_field_indexes_single_ideographs(cjk_schema):
    kind = cjk_schema.field("std").kind
    assert texts(kind.index_analyzer, "气象数据") == ["气", "象", "数", "据"]


def _schema_with_filter(tmp_path, filter_xml):
    path = tmp_path / "schema.xml"
    path.write_text("""<schema name="t" version="1.6">
      <fieldType name="string" class="solr.StrField"/>
      <fieldType name="t" class="solr.TextField"><analyzer>
        <tokenizer class="solr.WhitespaceTokenizerFactory"/>%s
      </analyzer></fieldType>
      <field name="id" type="string"/><field name="f" type="t"/>
      <uniqueKey>id</uniqueKey></schema>""" % filter_xml, encoding="utf-8")
    return Schema(str(path))


def test_unknown_factory_fails_loudly(tmp_path):
    with pytest.raises(SchemaError, match="PhoneticFilterFactory"):
        _schema_with_filter(tmp_path, '<filter class="solr.PhoneticFilterFactory"/>')


def test_stop_filter_uses_words_file_next_to_schema(tmp_path):
    (tmp_path / "stop.txt").write_text("# comment\nfoo\n", encoding="utf-8")
    schema = _schema_with_filter(
        tmp_path, '<filter class="solr.StopFilterFactory" words="stop.txt"/>')
    analyzer = schema.field("f").kind.index_analyzer
    # The removed word leaves a position gap, as in Lucene.
    assert analyzed(analyzer, "a foo b") == [(0, "a"), (2, "b")]


def test_stop_filter_defaults_to_english_set(tmp_path):
    schema = _schema_with_filter(tmp_path, '<filter class="solr.StopFilterFactory"/>')
    assert texts(schema.field("f").kind.index_analyzer, "the data of it") == ["data"]


def test_synonyms_file(tmp_path):
    (tmp_path / "syn.txt").write_text("weather, meteorology\n", encoding="utf-8")
    schema = _schema_with_filter(
        tmp_path, '<filter class="solr.SynonymGraphFilterFactory" '
                  'synonyms="syn.txt" ignoreCase="true"/>')
    assert analyzed(schema.field("f").kind.index_analyzer, "Weather") == [
        (0, "weather"), (0, "meteorology")]
