import json

import pytest

from shared.events.catalogue.commissioning import PROVIDER_REGISTERED
from shared.events.envelope import Envelope, EnvelopeError
from shared.events.registry import PayloadError, validate_payload
from tests.shared.payload_examples import PROVIDER


def test_round_trips_and_defaults_partition_key_to_subject() -> None:
    event = Envelope(
        type=PROVIDER_REGISTERED,
        source="acorn/commissioning",
        subject="prov-1",
        data=PROVIDER,
        correlationid="c-1",
    )
    again = Envelope.from_bytes(event.to_bytes())
    assert again == event
    assert again.partitionkey == "prov-1"
    assert again.specversion == "1.0"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"specversion": "0.3"}, "specversion"),
        ({"data": []}, "data"),
        ({"dataschemaversion": "1"}, "dataschemaversion"),
        ({"Extra-Field": 1}, "not a CloudEvents attribute name"),
        ({"extra": [1]}, "string, integer or boolean"),
        ({"datacontenttype": "text/plain"}, "datacontenttype"),
        ({"id": ""}, "id"),
    ],
)
def test_refuses_malformed_envelopes(change: dict, message: str) -> None:
    raw = Envelope(type=PROVIDER_REGISTERED, source="s", subject="p", data=PROVIDER).to_dict()
    raw.update(change)
    with pytest.raises(EnvelopeError, match=message):
        Envelope.from_bytes(json.dumps(raw).encode())


def test_not_json_is_an_envelope_error() -> None:
    with pytest.raises(EnvelopeError):
        Envelope.from_bytes(b"\x00not json")


def test_producers_are_strict_consumers_tolerate_added_fields() -> None:
    grown = {**PROVIDER, "added_later": "x"}
    with pytest.raises(PayloadError, match="added_later"):
        validate_payload(PROVIDER_REGISTERED, 1, grown, strict=True)
    validate_payload(PROVIDER_REGISTERED, 1, grown, strict=False)


def test_unknown_version_and_bad_payload_are_refused() -> None:
    with pytest.raises(PayloadError, match="version 2"):
        validate_payload(PROVIDER_REGISTERED, 2, PROVIDER, strict=False)
    with pytest.raises(PayloadError, match="kind"):
        validate_payload(PROVIDER_REGISTERED, 1, {**PROVIDER, "kind": "pirate"}, strict=False)
