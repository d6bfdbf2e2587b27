"""The channel index: a phone's last document, extras in the order the listing first showed them, every
field the listing carries, and phones that are not digits always extra."""

import json

from bulkcontacts.io.channel import ChannelIndex


def listing(tmp_path, docs):
    path = tmp_path / "channel.jsonl"
    path.write_text("".join(json.dumps(doc, ensure_ascii=False) + "\n" for doc in docs), encoding="utf-8")
    return ChannelIndex(path)


def test_a_phone_is_found_once_with_its_last_document(tmp_path):
    index = listing(
        tmp_path,
        [
            {"_id": "a", "phone_number": "919000000001", "full_name": "Old"},
            {"_id": "b", "phone_number": "+919000000002", "full_name": "Zoë \u2028 x"},
            {"_id": "c", "phone_number": "919000000001", "full_name": "New", "tags": ["vip"]},
        ],
    )
    assert index.take(919000000001) == {"_id": "c", "phone_number": "919000000001", "full_name": "New", "tags": ["vip"]}
    assert index.take(919000000001)["_id"] == "c"  # still there: a later row with the phone finds it too
    assert index.take(919000000002)["full_name"] == "Zoë \u2028 x"
    assert index.take(919000000009) is None
    assert index.carried == {"_id", "phone_number", "full_name", "tags"}
    assert list(index.extra()) == []
    index.close()


def test_extras_come_in_first_seen_order_and_odd_phones_are_always_extra(tmp_path):
    index = listing(
        tmp_path,
        [
            {"_id": "x", "phone_number": "919000000005"},
            {"_id": "y", "phone_number": "not a phone"},
            {"_id": "z"},
            {"_id": "w", "phone_number": 919000000003},
            {"_id": "v", "phone_number": "919000000004"},
        ],
    )
    assert index.take(919000000004)["_id"] == "v"
    assert list(index.extra()) == [("919000000005", "x"), ("not a phone", "y"), ("", "z"), ("919000000003", "w")]
    index.close()


def test_an_empty_listing(tmp_path):
    index = listing(tmp_path, [])
    assert len(index) == 0 and index.take(919000000001) is None and list(index.extra()) == []
    index.close()
