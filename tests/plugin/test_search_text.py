"""ckanext.sdm.search_text: the Chinese the index and the queries see."""

from ckanext.sdm import search_text


def test_traditional_is_folded_to_simplified():
    assert search_text.index_tokens("全國地面氣象觀測") == search_text.index_tokens("全国地面气象观测")


def test_the_index_has_long_words_and_their_parts():
    tokens = search_text.index_tokens("青藏高原冰川变化")
    assert {"青藏高原", "青藏", "高原", "冰川"} <= set(tokens)


def test_latin_words_keep_their_inner_punctuation():
    assert search_text.index_tokens("PM2.5浓度（MODIS）") == ["PM2.5", "浓度", "MODIS"]


def test_an_unspaced_query_becomes_required_words():
    assert search_text.query_clauses("青藏高原冰川", expand=False) == ['+(青藏高原 OR "青藏 高原"~1)', "+冰川"]


def test_a_glossary_term_finds_its_translation():
    assert search_text.query_clauses("冰芯") == ['+(冰芯 OR "ice core")']
    assert search_text.query_clauses("Ice Cores") == ['+("Ice Cores" OR 冰芯)']


def test_a_broader_term_also_finds_its_narrower_terms_but_not_the_reverse():
    (clause,) = search_text.query_clauses("遥感")
    assert clause.startswith('+(遥感 OR "remote sensing" OR 卫星 OR satellite OR')
    assert " OR lidar OR " in clause and " OR MODIS OR " in clause
    assert search_text.query_clauses("satellite") == ["+(satellite OR 卫星)"]
    assert search_text.query_clauses("ice core") == ['+("ice core" OR 冰芯)']
    assert "冰芯" in search_text.query_clauses("冰川")[0]


def test_a_synonym_of_several_words_is_one_required_clause():
    clauses = search_text.query_clauses("青藏高原冰川")
    assert len(clauses) == 2
    assert '"Tibetan Plateau"' in clauses[0] and clauses[1] == '+(冰川 OR glacier OR 冰芯 OR "ice core")'


def test_traditional_regional_terms_find_the_mainland_term():
    # 空氣品質 folds to 空气品质, which the glossary lists beside 空气质量
    (clause,) = search_text.query_clauses("空氣品質")
    assert "空气质量" in clause and '"air quality"' in clause


def test_code_list_labels_are_synonyms_too():
    assert "Physics" in search_text.query_clauses("物理学")[0]
    assert search_text.query_clauses("earthquakes")[0].startswith("+(earthquakes OR 地震 OR ")


def test_words_without_a_synonym_are_left_alone():
    assert search_text.query_clauses("Argo 温盐") == ["+Argo", "+温", "+盐"]


def test_a_long_query_word_also_matches_by_its_pieces_side_by_side():
    assert search_text.query_clauses("气象站") == ['+(气象站 OR "气象 站"~1)']
    # an unspaced glossary term jieba cuts in two is one word too
    assert search_text.query_clauses("植物标本")[0].startswith('+((植物标本 OR "植物 标本"~1) OR herbarium')


def test_latin_words_with_inner_punctuation_are_phrases():
    assert search_text.query_clauses("10.11922/sciencedb CO2-flux") == ['+"10.11922/sciencedb"', '+"CO2-flux"']
    assert search_text.query_clauses("X-ray")[0].startswith('+("X-ray" OR')


def test_solr_syntax_is_recognised():
    for q in ("name:x", '"气象 数据"', "a AND b", "-closed", "clim*", "(a b)", "title_zh:冰川"):
        assert search_text.is_solr_syntax(q), q
    for q in ("气象 数据", "CO2-flux 10.1/abc", "PM2.5", "Tibetan Plateau", ""):
        assert not search_text.is_solr_syntax(q), q
