# Copyright (c) vpd_mm contributors. All rights reserved.
from .dtw_retrieval_metric import DTWRetrievalMetric
from .dump_predictions import DumpPredictions
from .dump_vpd_features import DumpVPDFeatures
from .proposal_ap_metric import ProposalAPMetric
from .view_invariance_metric import ViewInvarianceMetric
from .vpd_regression_metric import VPDRegressionMetric

__all__ = [
    'VPDRegressionMetric', 'DumpVPDFeatures', 'ViewInvarianceMetric', 'DTWRetrievalMetric',
    'ProposalAPMetric', 'DumpPredictions'
]
