import base64
import shutil
import subprocess

import pytest

from tests.opennebula_sim.aes import aes256_cbc_encrypt
from tests.opennebula_sim.clock import Scheduler, SimClock
from tests.opennebula_sim.onegate_token import onegate_token, token_matches

TOKEN_PASSWORD = "0123456789abcdef" * 4


def test_aes_256_matches_fips_197_vector():
    key = bytes(range(32))
    block = aes256_cbc_encrypt(key, bytes.fromhex("00112233445566778899aabbccddeeff"))[:16]
    assert block.hex() == "8ea2b7ca516745bfeafc49904b496089"


def test_token_shape_matches_the_recorded_facts():
    token = onegate_token(TOKEN_PASSWORD, 2, 1795890767)
    assert len(token) == 24                       # 25 bytes in token.txt with the newline
    assert len(base64.b64decode(token)) == 16     # "2:1795890767" fits one AES block
    assert onegate_token(TOKEN_PASSWORD, 2, 1795890768) != token
    assert onegate_token(TOKEN_PASSWORD, 3, 1795890767) != token
    assert len(onegate_token(TOKEN_PASSWORD, 123456, 1795890767123)) == 44   # two blocks


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl CLI not installed")
def test_token_equals_the_openssl_recomputation_used_by_the_recorder():
    expected = subprocess.run(
        ["openssl", "enc", "-aes-256-cbc", "-K", TOKEN_PASSWORD[:32].encode().hex(), "-iv", "0" * 32, "-base64"],
        input=b"2:1795890767", capture_output=True, check=True).stdout.decode().strip()
    assert onegate_token(TOKEN_PASSWORD, 2, 1795890767) == expected


def test_token_check_ignores_surrounding_whitespace_only():
    token = onegate_token(TOKEN_PASSWORD, 5, 100)
    assert token_matches(token + "\n", TOKEN_PASSWORD, 5, 100)
    assert not token_matches(token, TOKEN_PASSWORD, 6, 100)
    assert not token_matches("", TOKEN_PASSWORD, 5, 100)


def test_clock_moves_only_when_told():
    clock = SimClock(start=1000)
    assert clock.epoch() == 1000
    clock.advance(2.5)
    assert clock.now() == 1002.5
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_scheduler_runs_due_events_in_time_order_with_their_due_time():
    clock = SimClock(start=0)
    scheduler = Scheduler(clock)
    seen = []
    scheduler.at(5, lambda when: seen.append(("b", when)))
    scheduler.at(1, lambda when: (seen.append(("a", when)), scheduler.at(2, lambda w: seen.append(("chained", w)))))
    scheduler.at(9, lambda when: seen.append(("late", when)))
    assert scheduler.run_due() == 0
    clock.advance(6)
    scheduler.run_due()
    assert seen == [("a", 1), ("chained", 2), ("b", 5)]
    assert scheduler.pending() == 1
