# Copyright (c) vpd_mm contributors. All rights reserved.
"""The embedded toy corpus of the demo and the tests."""
from .toy_corpus import TOY_CLASSES, make_toy_corpus, render_video, simulate_video

__all__ = ['TOY_CLASSES', 'make_toy_corpus', 'simulate_video', 'render_video']
