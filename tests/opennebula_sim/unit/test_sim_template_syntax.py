import pytest

from tests.opennebula_sim.template_syntax import Template, TemplateSyntaxError, parse
from tests.opennebula_sim.xmldoc import template_node, to_hash, to_xml


def test_quoted_unquoted_and_vector_values():
    tpl = parse('NAME = "fl node"\nCPU=0.5\nCONTEXT=[TOKEN="YES", network=YES,\n  FL_TEST="$FL_TEST"]')
    assert tpl.get("NAME") == "fl node"
    assert tpl.get("CPU") == "0.5"
    assert tpl.get("CONTEXT") == {"TOKEN": "YES", "NETWORK": "YES", "FL_TEST": "$FL_TEST"}


def test_names_are_upper_cased_and_repeated_attributes_become_lists():
    tpl = parse('nic=[network_id="0"]\nNIC=[NETWORK_ID="1"]\nDISK=[IMAGE_ID="0"]')
    assert tpl.to_dict() == {"NIC": [{"NETWORK_ID": "0"}, {"NETWORK_ID": "1"}], "DISK": {"IMAGE_ID": "0"}}


def test_single_element_is_an_object_and_several_a_list_in_the_rendered_document():
    one = to_hash(template_node("TEMPLATE", parse('NIC=[IP="10.0.0.1"]')))
    two = to_hash(template_node("TEMPLATE", parse('NIC=[IP="10.0.0.1"]\nNIC=[IP="10.0.0.2"]')))
    assert one == {"TEMPLATE": {"NIC": {"IP": "10.0.0.1"}}}
    assert two == {"TEMPLATE": {"NIC": [{"IP": "10.0.0.1"}, {"IP": "10.0.0.2"}]}}


def test_xml_is_sorted_and_uses_cdata_like_oned():
    xml = to_xml(template_node("TEMPLATE", parse('MEMORY="256"\nCPU="0.5"\nCONTEXT=[TOKEN="YES",A="<x>"]')))
    assert xml == ("<TEMPLATE><CONTEXT><A><![CDATA[<x>]]></A><TOKEN><![CDATA[YES]]></TOKEN></CONTEXT>"
                   "<CPU><![CDATA[0.5]]></CPU><MEMORY><![CDATA[256]]></MEMORY></TEMPLATE>")


def test_escapes_comments_and_empty_values():
    tpl = parse('# a comment\nA="say \\"hi\\"" # trailing\nB=\nC=""')
    assert tpl.get("A") == 'say "hi"'
    assert tpl.get("B") == "" and tpl.get("C") == ""


def test_render_round_trips():
    tpl = parse('A="1"\nV=[X="a b",Y="c\\"d"]\nV=[X="2"]')
    assert parse(tpl.render()) == tpl


def test_merge_replaces_attributes_by_name_like_update_type_1():
    base = parse('A="1"\nNIC=[IP="1"]\nNIC=[IP="2"]\nB="keep"')
    base.merge(parse('A="2"\nNIC=[IP="3"]'))
    assert base.to_dict() == {"A": "2", "NIC": {"IP": "3"}, "B": "keep"}


def test_from_dict_maps_json_to_template():
    tpl = Template.from_dict({"CONTEXT": {"K": "v"}, "NIC": [{"IP": "1"}, {"IP": "2"}], "FLAG": True, "N": 3})
    assert tpl.get_all("NIC") == [{"IP": "1"}, {"IP": "2"}]
    assert tpl.get("FLAG") == "YES" and tpl.get("N") == "3"


@pytest.mark.parametrize("text", ["A=[B=1", "=x", '{"JSON": "x"}', "A=[B]"])
def test_syntax_errors(text):
    with pytest.raises(TemplateSyntaxError):
        parse(text)


def test_an_unterminated_quote_is_an_unquoted_value_as_in_oned():
    # the unquoted STRING rule accepts `"`, so oned stores the quote itself
    assert parse('A="unterminated').get("A") == '"unterminated'
