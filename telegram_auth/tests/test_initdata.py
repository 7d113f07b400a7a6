"""initData validation against Telegram's Mini App algorithm, with an injected clock."""

import hashlib
import hmac
import json
from unittest import mock
from urllib.parse import parse_qsl, quote, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telegram_auth.initdata import (
    InitDataError,
    build_init_data,
    data_check_string,
    sign,
    validate,
)

TOKEN = "7000000001:AAE-test-token-for-clickgame-unit-tests"
NOW = 1_750_000_000
DAY = 24 * 60 * 60
USER = {"id": 279058397, "first_name": "Vlad", "username": "vlad", "language_code": "en"}


def clock() -> float:
    return float(NOW)


def check(init_data: str, *, token: str = TOKEN, max_age: int = DAY):
    return validate(init_data, token, max_age=max_age, clock=clock)


def signed(fields: dict[str, str], *, token: str = TOKEN) -> str:
    return urlencode({**fields, "hash": sign(fields, token)})


def error_code(init_data: str, **kwargs) -> str:
    with pytest.raises(InitDataError) as caught:
        check(init_data, **kwargs)
    return caught.value.code


def test_valid_payload_yields_the_signed_user() -> None:
    user = check(build_init_data(USER, TOKEN, auth_date=NOW - 10))
    assert user.telegram_id == 279058397
    assert user.first_name == "Vlad"
    assert user.username == "vlad"
    assert user.auth_date == NOW - 10


def test_matches_telegrams_documented_formula_computed_independently() -> None:
    # The data-check-string and key derivation written out by hand, not through our helpers.
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(USER, separators=(",", ":")),
        "auth_date": str(NOW),
        "signature": "abc-def_ghi",
    }
    check_string = "\n".join(f"{k}={fields[k]}" for k in sorted(fields))
    secret = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    digest = hmac.new(secret, check_string.encode(), hashlib.sha256).hexdigest()
    init_data = urlencode({**fields, "hash": digest})
    assert check(init_data).telegram_id == USER["id"]


def test_signature_field_stays_in_the_data_check_string() -> None:
    fields = {"user": json.dumps(USER), "auth_date": str(NOW), "signature": "sig"}
    assert "signature=sig" in data_check_string(fields)
    without_signature = {k: v for k, v in fields.items() if k != "signature"}
    forged = urlencode({**fields, "hash": sign(without_signature, TOKEN)})
    assert error_code(forged) == "bad_signature"


def test_one_changed_character_in_hash_is_refused() -> None:
    init_data = build_init_data(USER, TOKEN, auth_date=NOW)
    fields = dict(parse_qsl(init_data))
    good = fields["hash"]
    fields["hash"] = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert error_code(urlencode(fields)) == "bad_signature"


def test_missing_hash_is_malformed() -> None:
    init_data = urlencode({"user": json.dumps(USER), "auth_date": str(NOW)})
    assert error_code(init_data) == "malformed"


def test_payload_signed_with_another_token_is_refused() -> None:
    init_data = build_init_data(USER, "7000000002:AAE-some-other-bots-token", auth_date=NOW)
    assert error_code(init_data) == "bad_signature"


def test_login_widget_formula_is_refused() -> None:
    fields = {"user": json.dumps(USER), "auth_date": str(NOW)}
    widget_key = hashlib.sha256(TOKEN.encode()).digest()
    digest = hmac.new(widget_key, data_check_string(fields).encode(), hashlib.sha256).hexdigest()
    assert error_code(urlencode({**fields, "hash": digest})) == "bad_signature"


def test_tampered_user_json_is_refused() -> None:
    fields = dict(parse_qsl(build_init_data(USER, TOKEN, auth_date=NOW)))
    fields["user"] = fields["user"].replace("279058397", "1")
    assert error_code(urlencode(fields)) == "bad_signature"


def test_expired_auth_date_is_refused() -> None:
    assert error_code(build_init_data(USER, TOKEN, auth_date=NOW - DAY - 1)) == "expired"


def test_auth_date_at_the_age_limit_is_accepted() -> None:
    assert check(build_init_data(USER, TOKEN, auth_date=NOW - DAY)).telegram_id == USER["id"]


def test_auth_date_in_the_future_is_refused() -> None:
    assert error_code(build_init_data(USER, TOKEN, auth_date=NOW + 61)) == "from_future"


def test_small_clock_skew_into_the_future_is_tolerated() -> None:
    assert check(build_init_data(USER, TOKEN, auth_date=NOW + 30)).telegram_id == USER["id"]


def test_missing_auth_date_is_malformed() -> None:
    assert error_code(signed({"user": json.dumps(USER)})) == "malformed"


def test_non_numeric_auth_date_is_malformed() -> None:
    assert error_code(signed({"user": json.dumps(USER), "auth_date": "soon"})) == "malformed"


@pytest.mark.parametrize(
    "first_name",
    ["Tom & Jerry", "a=b", "plus+sign", "literal %26 here", "Влад 🎮 李", "x&hash=00&y=1"],
)
def test_special_characters_in_first_name_survive_encoding(first_name: str) -> None:
    user = check(build_init_data({**USER, "first_name": first_name}, TOKEN, auth_date=NOW))
    assert user.first_name == first_name


def test_percent_encoded_space_and_plus_are_decoded_before_checking() -> None:
    # Telegram encodes spaces as %20; a client library may send '+'. Both decode to a space.
    fields = {"user": json.dumps({**USER, "first_name": "A B"}), "auth_date": str(NOW)}
    digest = sign(fields, TOKEN)
    encoded = "&".join(f"{k}={quote(v, safe='')}" for k, v in fields.items())
    assert check(f"{encoded}&hash={digest}").first_name == "A B"
    assert check(f"{encoded.replace('%20', '+')}&hash={digest}").first_name == "A B"


def test_duplicated_keys_are_malformed() -> None:
    init_data = build_init_data(USER, TOKEN, auth_date=NOW)
    assert error_code(init_data + "&auth_date=1") == "malformed"


def test_user_without_numeric_id_is_malformed() -> None:
    for user in ({"first_name": "x"}, {"id": "12"}, {"id": True}, {"id": -5}, [1, 2]):
        fields = {"user": json.dumps(user), "auth_date": str(NOW)}
        assert error_code(signed(fields)) == "malformed"


def test_user_that_is_not_json_is_malformed() -> None:
    assert error_code(signed({"user": "{not json", "auth_date": str(NOW)})) == "malformed"


@pytest.mark.parametrize("garbage", ["", "   ", "hash", "=&=&", "%ZZ", "a=1&&b=2", "\x00\xff"])
def test_garbage_strings_are_refused_with_a_code(garbage: str) -> None:
    assert error_code(garbage) in {"missing", "malformed"}


def test_empty_initdata_is_missing() -> None:
    assert error_code("") == "missing"


def test_start_param_is_exposed() -> None:
    init_data = build_init_data(USER, TOKEN, auth_date=NOW, extra={"start_param": "ref42"})
    assert check(init_data).start_param == "ref42"


@given(st.text(max_size=300))
def test_arbitrary_text_is_either_an_identity_or_an_init_data_error(text: str) -> None:
    try:
        user = check(text)
    except InitDataError as exc:
        assert exc.code in {"missing", "malformed", "bad_signature", "expired", "from_future"}
    else:
        assert isinstance(user.telegram_id, int)


@given(st.dictionaries(st.text(min_size=1, max_size=10), st.text(max_size=30), max_size=6))
def test_arbitrary_fields_never_crash_validation(fields: dict[str, str]) -> None:
    try:
        check(urlencode(fields))
    except InitDataError as exc:
        assert exc.code in {"missing", "malformed", "bad_signature", "expired", "from_future"}


class TestVerifiedStrings:
    """A session sends the same initData with every request: its signature is checked once."""

    def test_the_signature_of_a_string_seen_before_is_not_computed_again(self) -> None:
        init_data = build_init_data({**USER, "id": 6_000_001}, TOKEN, auth_date=NOW)
        with mock.patch("telegram_auth.initdata.sign", wraps=sign) as signing:
            first, second = check(init_data), check(init_data)
        assert first == second and first.telegram_id == 6_000_001
        assert signing.call_count == 1

    def test_a_remembered_string_still_expires(self) -> None:
        init_data = build_init_data({**USER, "id": 6_000_002}, TOKEN, auth_date=NOW - 100)
        assert check(init_data, max_age=DAY).telegram_id == 6_000_002
        assert error_code(init_data, max_age=50) == "expired"

    def test_a_remembered_string_is_refused_under_another_bot_token(self) -> None:
        init_data = build_init_data({**USER, "id": 6_000_003}, TOKEN, auth_date=NOW)
        assert check(init_data).telegram_id == 6_000_003
        assert error_code(init_data, token=TOKEN + "x") == "bad_signature"

    def test_a_tampered_copy_of_a_remembered_string_is_refused(self) -> None:
        init_data = build_init_data({**USER, "id": 6_000_004}, TOKEN, auth_date=NOW)
        assert check(init_data).telegram_id == 6_000_004
        forged = init_data.replace("6000004", "6000005")
        assert forged != init_data
        assert error_code(forged) == "bad_signature"

    def test_the_remembered_user_cannot_be_changed_by_one_request(self) -> None:
        init_data = build_init_data({**USER, "id": 6_000_006}, TOKEN, auth_date=NOW)
        with pytest.raises(TypeError):
            check(init_data).extra["id"] = 1  # type: ignore[index]
        assert check(init_data).extra["id"] == 6_000_006
