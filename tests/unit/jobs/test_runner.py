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
