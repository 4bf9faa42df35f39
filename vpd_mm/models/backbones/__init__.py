# Copyright (c) vpd_mm contributors. All rights reserved.
from .student_resnet import VPDStudentResNet, adapt_first_conv_weight

__all__ = ['VPDStudentResNet', 'adapt_first_conv_weight']
