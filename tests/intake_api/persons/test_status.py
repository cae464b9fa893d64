import pytest

from intake_api.persons.status import STATUSES, allowed_from, can_move


@pytest.mark.parametrize(
    ("current", "target", "category"),
    [
        ("arrived", "in_rehabilitation", "woman"),
        ("in_rehabilitation", "relocated", "child"),
        ("relocated", "reunified", "child"),
        ("relocated", "in_rehabilitation", "woman"),
        ("arrived", "in_custody", "man"),
        ("in_rehabilitation", "in_care", "child"),
        ("in_care", "relocated", "child"),
        ("reunified", "deceased", "woman"),
    ],
)
def test_the_path_home_is_allowed(current: str, target: str, category: str) -> None:
    assert can_move(current, target, category)


@pytest.mark.parametrize(
    ("current", "target", "category"),
    [
        ("arrived", "relocated", "woman"),  # a month of rehabilitation first
        ("arrived", "reunified", "child"),
        ("in_rehabilitation", "in_custody", "child"),  # custody is for adults
        ("arrived", "in_care", "woman"),  # care is for children
        ("departed", "arrived", "woman"),
        ("deceased", "in_rehabilitation", "child"),
        ("arrived", "arrived", "child"),
    ],
)
def test_other_changes_are_refused(current: str, target: str, category: str) -> None:
    assert not can_move(current, target, category)


def test_end_states_allow_nothing_and_every_status_is_known() -> None:
    assert allowed_from("departed") == ()
    assert allowed_from("deceased") == ()
    for status in STATUSES:
        assert set(allowed_from(status)) <= set(STATUSES)
        assert status not in allowed_from(status)
