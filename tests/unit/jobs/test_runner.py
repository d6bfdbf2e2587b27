"""The runner's hold on the garbage collector: looser while a stage sends, the caller's own afterwards."""

import gc

import pytest

from bulkcontacts.jobs.runner import YOUNG_COLLECTION_EVERY, _young_objects_collected_less


def test_the_youngest_generation_is_collected_less_while_sending_and_the_callers_thresholds_come_back():
    before = gc.get_threshold()
    with _young_objects_collected_less():
        assert gc.get_threshold() == (YOUNG_COLLECTION_EVERY, before[1], before[2])
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError), _young_objects_collected_less():
        raise RuntimeError("a stage that failed")
    assert gc.get_threshold() == before


def test_stages_sending_at_once_give_the_callers_thresholds_back_when_the_last_one_ends():
    """Shards run as threads of one process: one ending while another sends keeps the setting; the last one
    to end restores what the first one found (not the setting itself)."""
    before = gc.get_threshold()
    first, second = _young_objects_collected_less(), _young_objects_collected_less()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert gc.get_threshold()[0] == YOUNG_COLLECTION_EVERY  # the second still sends
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before
