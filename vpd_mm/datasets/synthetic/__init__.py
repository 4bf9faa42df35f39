# Copyright (c) vpd_mm contributors. All rights reserved.
"""Generated corpora: the toy corpus of the demo and tests, the synthetic sports corpus and its
simulated detector and teacher."""
from .simulated_models import SimulatedPersonDetector, SimulatedPoseTeacher
from .sports_corpus import make_sports_corpus, simulate_sports_video
from .sports_motions import DEFAULT_CLASSES, SPORTS_CLASSES
from .toy_corpus import TOY_CLASSES, make_toy_corpus, render_video, simulate_video

__all__ = [
    'TOY_CLASSES', 'make_toy_corpus', 'simulate_video', 'render_video', 'make_sports_corpus',
    'simulate_sports_video', 'SPORTS_CLASSES', 'DEFAULT_CLASSES', 'SimulatedPersonDetector',
    'SimulatedPoseTeacher'
]
