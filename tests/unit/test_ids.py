import uuid

from docintake.ids import is_id, new_id


def test_ids_are_uuid7_and_strictly_increase_within_a_process() -> None:
    ids = [new_id() for _ in range(20_000)]
    assert all(uuid.UUID(i).version == 7 and uuid.UUID(i).variant == uuid.RFC_4122 for i in ids[:100])
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert all(is_id(i) for i in ids[:100])
    assert not is_id("not-an-id") and not is_id(str(uuid.uuid4()))
