"""Presentation-attack simulators. Each turns a bona fide RGB image and its face box into a
recaptured presentation and returns an :class:`AttackResult` (image, new face box, parameters).
They work on any photo, so they double as data augmentation for real datasets."""
from .common import AttackResult, neutral_camera, sample_intensity
from .mask import MASKS, mask_attack
from .print import PRINTERS, print_attack
from .replay import SCREENS, replay_attack

#: PAI species -> instruments -> simulator.
SPECIES = {
    "print": tuple(PRINTERS),
    "replay": tuple(SCREENS),
    "mask": tuple(MASKS),
}

SIMULATORS = {"print": print_attack, "replay": replay_attack, "mask": mask_attack}

__all__ = ["AttackResult", "MASKS", "PRINTERS", "SCREENS", "SIMULATORS", "SPECIES", "mask_attack",
           "neutral_camera", "print_attack", "replay_attack", "sample_intensity"]
