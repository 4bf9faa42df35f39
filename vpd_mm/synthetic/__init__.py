# Copyright (c) vpd_mm contributors. All rights reserved.
"""The synthetic world: generated corpora and the simulated models that read their ground truth.

Not imported by ``import vpd_mm``: import it where it is used (``import vpd_mm.synthetic``), or
name it in a config's ``custom_imports`` to register the simulated person detector and pose
teacher in ``TASK_UTILS`` (``configs/preparation/synthetic_sports.py``)::

    custom_imports = dict(imports=['vpd_mm', 'vpd_mm.synthetic'], allow_failed_imports=False)

- :func:`make_toy_corpus`: the small stick-figure distillation corpus of the tests and the tiny
  configs (rendered frames, simulated teacher, crops, flow; ``toy_corpus.py``);
- :func:`make_sports_corpus`: the synthetic sports benchmark of ``tools/run_demo.py`` (raw videos
  and ground truth; ``sports_corpus.py``, ``sports_motions.py``, ``sports_render.py``);
- :class:`SimulatedPersonDetector`, :class:`SimulatedPoseTeacher`: preparation stages
  (``TASK_UTILS``) that read that ground truth (``simulated_models.py``);
- :func:`make_uncut_features`: uncut videos as per-frame features, the toy input of temporal
  detection and of the localization export (``uncut_features.py``).
"""
from .simulated_models import SimulatedPersonDetector, SimulatedPoseTeacher
from .sports_corpus import CorpusArgumentError, make_sports_corpus, simulate_sports_video
from .sports_motions import DEFAULT_CLASSES, SPORTS_CLASSES
from .toy_corpus import TOY_CLASSES, make_toy_corpus, render_video, simulate_video
from .uncut_features import make_uncut_features

__all__ = [
    'TOY_CLASSES', 'make_toy_corpus', 'simulate_video', 'render_video', 'make_sports_corpus',
    'CorpusArgumentError', 'simulate_sports_video', 'SPORTS_CLASSES', 'DEFAULT_CLASSES',
    'SimulatedPersonDetector', 'SimulatedPoseTeacher', 'make_uncut_features'
]
