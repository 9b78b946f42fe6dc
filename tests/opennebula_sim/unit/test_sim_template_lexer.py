"""The port of oned's template lexer (template_parser.l) and grammar (template_syntax.y)."""

import pytest

from tests.opennebula_sim.template_syntax import (
    CBRACKET, COMMA, EOF_, EQUAL, EQUAL_EMPTY, OBRACKET, STRING, VARIABLE, TemplateSyntaxError, parse, tokens)


def kinds(text):
    return [(t.kind, t.text) for t in tokens(text)]


def error(text):
    with pytest.raises(TemplateSyntaxError) as info:
        parse(text)
    return str(info.value)


def test_tokens_of_a_vector():
    assert kinds('NIC=[IP="1.2.3.4",NETWORK="x"]') == [
        (VARIABLE, b"NIC"), (EQUAL, b"="), (OBRACKET, b"["), (VARIABLE, b"IP"), (EQUAL, b"="),
        (STRING, b"1.2.3.4"), (COMMA, b","), (VARIABLE, b"NETWORK"), (EQUAL, b"="), (STRING, b"x"),
        (CBRACKET, b"]"), (EOF_, b"")]
    assert parse('NIC=[IP="1.2.3.4",NETWORK="x"]').get("NIC") == {"IP": "1.2.3.4", "NETWORK": "x"}


def test_equal_then_newline_is_equal_empty_and_stays_in_initial():
    assert kinds("A = \nB=1") == [(VARIABLE, b"A"), (EQUAL_EMPTY, b" = \n"), (VARIABLE, b"B"), (EQUAL, b"="),
                                  (STRING, b"1"), (EOF_, b"")]
    assert parse("A=\nB=1").to_dict() == {"A": "", "B": "1"}


def test_equal_at_the_end_of_input_is_not_equal_empty():
    assert error("A=") == ("syntax error, unexpected $end, expecting OBRACKET or CCDATA or STRING "
                           "at line 1, columns 3:3")


def test_comments_need_their_newline():
    assert parse("# one\n  # two\nA=1\n").to_dict() == {"A": "1"}
    # after a value the lexer is back in INITIAL, where ` # trailing\n` is a comment
    assert parse("A=1 # trailing\nB=2").to_dict() == {"A": "1", "B": "2"}
    # a comment at the end of the input without a newline: `#` is skipped, the words are VARIABLEs
    assert error("A=1\n# no newline").startswith("syntax error, unexpected VARIABLE, expecting EQUAL or EQUAL_EMPTY")


def test_longest_match_wins_and_ties_go_to_the_earlier_rule():
    # quoted `"back"` (6) loses to the unquoted STRING `"back"\\slash` (12)
    assert parse('FL_H="back"\\slash').get("FL_H") == '"back"\\slash'
    # `""`: both rules match 2 characters; the quoted rule is written first
    assert parse('A=""').get("A") == ""
    # a lone `"` only matches the unquoted rule
    assert parse('FL_E="').get("FL_E") == '"'


def test_quoted_values_span_lines_and_only_backslash_quote_is_unescaped():
    assert parse('A="one\ntwo"').get("A") == "one\ntwo"
    assert parse('A="say \\"hi\\""').get("A") == 'say "hi"'
    assert parse('A="c:\\\\dir\\n"').get("A") == "c:\\\\dir\\n"
    # a quote after a backslash does not end the value
    assert parse('A="x\\" y"').get("A") == 'x" y'
    # ...so the value runs on to the next unescaped quote, across lines; `y"` then fails
    assert kinds('A="x\\"\nB="y"')[2] == (STRING, b'x\\"\nB=')
    assert error('A="x\\"\nB="y"').startswith("syntax error, unexpected $end, expecting EQUAL or EQUAL_EMPTY")


def test_unmatched_characters_are_skipped_by_flex_default_rule():
    assert parse("A=1\n-B=2").to_dict() == {"A": "1", "B": "2"}
    assert parse("A= #x").to_dict() == {"A": "x"}          # `#` in VALUE matches no rule


def test_values_are_trimmed_and_names_fixed_like_the_attribute_constructor():
    assert parse('A="  x \r\n"\nb=y\r\n1C=2\nXMLD=3\nxmle=4').to_dict() == {
        "A": "x", "B": "y", "ONE_1C": "2", "ONE_XMLD": "3", "XMLE": "4"}


def test_vectors_are_maps_sorted_first_key_wins():
    value = parse("V=[b=2, a=1,\n b=3]").get("V")
    assert value == {"A": "1", "B": "2"} and list(value) == ["A", "B"]
    assert parse("V=[ ]").get("V") == {}


@pytest.mark.parametrize("text, message", [
    ('FL_B="8",9"', "syntax error, unexpected COMMA, expecting $end at line 1, columns 9:10"),
    ('FL_I="say "hi"', "syntax error, unexpected $end, expecting EQUAL or EQUAL_EMPTY at line 1, columns 15:15"),
    ("A=[x\"]", "syntax error, unexpected CBRACKET, expecting EQUAL at line 1, columns 6:7"),
    ("A=1\nB=[C=1,]", "syntax error, unexpected CBRACKET, expecting VARIABLE at line 2, columns 12:13"),
    ("=x", "syntax error, unexpected EQUAL, expecting $end at line 1, columns 1:2"),
])
def test_errors_are_worded_as_bison_words_them(text, message):
    assert error(text) == message


def test_cdata_in_a_value_aborts_without_a_message():
    assert error('A="<![CDATA[x]]>"') == ""


def test_repeated_attributes_are_kept():
    assert parse("A=1\nA=2").get_all("A") == ["1", "2"]
