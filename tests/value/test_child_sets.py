import numpy as np

from services.value.domain.columns import ChildSet, child_sets

NAMES = np.array(["C1", "C2", "C3", "C4"], dtype=object)


def test_each_group_holds_its_children_once() -> None:
    group = np.array([1, 0, 1, 1, 2])
    child = np.array([3, 0, 3, 1, 0])
    by_group = child_sets(group, child, NAMES)
    assert by_group == {0: {"C1"}, 1: {"C2", "C4"}, 2: {"C1"}}  # group 3 has none
    assert [len(s) for s in by_group.values()] == [1, 2, 1]


def test_a_union_counts_a_child_in_both_once_whichever_names_they_came_from() -> None:
    same = ChildSet(NAMES, np.array([0, 2])) | ChildSet(NAMES, np.array([2, 3]))
    assert same == {"C1", "C3", "C4"} and len(same) == 3
    other_names = np.array(["C3", "C9"], dtype=object)
    mixed = ChildSet(NAMES, np.array([0, 2])) | ChildSet(other_names, np.array([0, 1]))
    assert mixed == {"C1", "C3", "C9"} and len(mixed) == 3
    assert ChildSet() | mixed == mixed and not ChildSet()
