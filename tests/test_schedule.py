"""The authors' per-epoch LR schedule with hand-computed values."""

from __future__ import annotations

import pytest
import torch

from hypergcn.training.schedule import EpochLRSchedule, lr_at_epoch


@pytest.mark.parametrize(
    ("epoch", "expected"),
    [
        (0, 0.01),
        (1, 0.02),
        (2, 0.03),
        (3, 0.04),
        (4, 0.05),
        (5, 0.05),
        (109, 0.05),
        (110, 0.005),
        (119, 0.005),
        (120, 0.0005),
        (139, 0.0005),
    ],
)
def test_authors_base_schedule(epoch: int, expected: float) -> None:
    assert lr_at_epoch(epoch, 0.05, 5, [110, 120], 0.1) == pytest.approx(expected, rel=1e-12)


def test_large_and_ucla_recipes() -> None:
    assert lr_at_epoch(0, 0.025) == pytest.approx(0.005)
    assert lr_at_epoch(110, 0.025) == pytest.approx(0.0025)
    # CTR-GCN's NW-UCLA recipe: base 0.1, one step at 50.
    assert lr_at_epoch(49, 0.1, 5, [50]) == pytest.approx(0.1)
    assert lr_at_epoch(50, 0.1, 5, [50]) == pytest.approx(0.01)
    assert lr_at_epoch(0, 0.1, 0, [50]) == pytest.approx(0.1)  # no warm-up


def test_scheduler_sets_groups_and_round_trips() -> None:
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=1.0)
    schedule = EpochLRSchedule(opt, 0.05)
    assert schedule.start_epoch(2) == pytest.approx(0.03)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.03)
    other = EpochLRSchedule(torch.optim.SGD([param], lr=1.0), 1.0, 1, [1])
    other.load_state_dict(schedule.state_dict())
    assert other.state_dict() == schedule.state_dict()
    with pytest.raises(ValueError):
        lr_at_epoch(-1, 0.05)
