# Copyright (c) vpd_mm contributors. All rights reserved.
"""Networks: importing this package registers them in mmaction's ``MODELS`` registry."""
from .backbones import *  # noqa: F401,F403
from .data_preprocessors import *  # noqa: F401,F403
from .distillers import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .localizers import *  # noqa: F401,F403
from .recognizers import *  # noqa: F401,F403
from .vipe import *  # noqa: F401,F403
