"""The port of onegate-server.rb's escape_attr and update (PUT /vm) through the simulator."""

import pytest

from tests.opennebula_sim.onegate_api import GateError, check_restricted_attrs, escape_attr, ruby_to_i
from tests.opennebula_sim.testing import gate, one
from test_sim_oneflow import vm_template


@pytest.mark.parametrize("sent, escaped", [
    ("FL_A=plain", 'FL_A="plain"'),
    ("FL_B=8,9", 'FL_B="8",9"'),
    ('FL_C="8,9"', 'FL_C="8",9"'),
    ("FL_D=8 9 10", 'FL_D="8 9 10"'),
    ("FL_E=", 'FL_E="'),
    ("FL_F=a=b", 'FL_F="a=b"'),
    ("FL_G=[x]", 'FL_G=[x"]'),
    ("FL_H=back\\slash", 'FL_H="back"\\slash'),
    ('FL_I=say "hi"', 'FL_I="say "hi"'),
    ("FL_M1=one\nFL_M2=two", 'FL_M1="one"\nFL_M2="two"'),
    ("FL_N=host:9092;x", 'FL_N="host:9092;x"'),
    ("FL_L=caf\u00e9 \u00fcber", 'FL_L="caf\u00e9 \u00fcber"'),
    ('NIC=[IP="1.2.3.4",NETWORK="x"]', 'NIC=[IP="1.2.3.4",NETWORK="x"]'),
    # the `,` does not end the escape: the second `=` is copied as is, and `]` closes a quote
    ("NIC=[IP=1.2.3.4,NETWORK=x]", 'NIC=[IP="1.2.3.4",NETWORK=x"]'),
    ("A=1\\nB=2", 'A="1"\nB="2"'),           # backslash-n: closed before the backslash, then a newline
    ("FL_A", "FL_A"),                         # a type 2 body has nothing to escape
    ("", ""),
])
def test_escape_attr(sent, escaped):
    assert escape_attr(sent) == escaped


def test_escape_attr_ruby_indexing_at_the_edges():
    # attr[idx - 1] at idx 0 is the last character: a leading `,` after a final `"` is kept
    assert escape_attr(',A"') == ',A"'
    assert escape_attr(",A") == '",A'
    # attr[idx + 1] past the end is nil: a final `=` opens a quote that is closed at once
    assert escape_attr("A=") == 'A="'


def test_ruby_to_i_and_the_restricted_check():
    assert [ruby_to_i(t) for t in ("2", " 1", "2x", "x", "")] == [2, 1, 2, 0, 0]
    with pytest.raises(GateError) as info:
        check_restricted_attrs('FL="1"\nservice_id="3"', "cannot be modified")
    assert (info.value.status, info.value.message) == (403, "Attribute (service_id) cannot be modified")
    check_restricted_attrs('service_id ="3"', "cannot be modified")   # `SERVICE_ID ` is not restricted


def test_put_vm_follows_the_real_rules(one_sim):
    vm_id = one(one_sim, "one.template.instantiate", vm_template(one_sim, "escape"), "", False, "", False)[1]

    def put(body, path="/vm", content_type=None):
        response = gate(one_sim, vm_id, "PUT", path, body, content_type)
        return response.status, response.text

    def shown():
        return gate(one_sim, vm_id, "GET", "/vm").json()["VM"]["USER_TEMPLATE"]

    assert put("FL_LIST=1,2") == (500, "Internal server error")
    assert put("FL_EMPTY=") == (200, "")
    assert put("data=FL_Q%3Done&type=1", content_type="application/x-www-form-urlencoded") == (200, "")
    assert put("FL_QUERY=x", path="/vm?data=FL_FROM_QUERY%3Dy") == (200, "")   # params[:data] before the body
    assert put('FL_VEC=[K=v,L="w"]') == (200, "")
    assert (shown()["FL_EMPTY"], shown()["FL_Q"], shown()["FL_FROM_QUERY"]) == ('"', "one", "y")
    assert "FL_QUERY" not in shown() and "FL_LIST" not in shown()
    assert shown()["FL_VEC"] == {"K": "v", "L": "w"}
    # delete: the element name is case-sensitive (an XPath); any type but 1 deletes
    assert put("fl_q", path="/vm?type=2") == (500, "Internal server error")
    assert put("FL_Q", path="/vm?type=3") == (200, "")
    assert "FL_Q" not in shown() and shown()["FL_VEC"] == {"K": "v", "L": "w"}
    # the restricted check reads the text before `=`, as OneGate does
    assert put("ROLE_NAME=x") == (403, "Attribute (ROLE_NAME) cannot be modified")
    assert put("role_name = x") == (200, "")
    assert shown()["ROLE_NAME"] == "x"
    assert put("NIC2=[IP=1.2.3.4,NETWORK=x]") == (200, "")
    assert shown()["NIC2"] == {"IP": "1.2.3.4", "NETWORK": 'x"'}
