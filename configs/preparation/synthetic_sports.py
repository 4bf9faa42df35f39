# The synthetic sports benchmark (docs/synthetic_benchmark.md) -> data/sports/: the corpus of
# tools/data/make_sports_corpus.py, prepared with the SIMULATED person detector and pose teacher
# (they read the corpus' ground truth; vpd_mm.synthetic.simulated_models, registered by the
# custom_imports below: `import vpd_mm` leaves the synthetic world out) and mmdet's real
# ByteTracker + the salience athlete selector; 64 px crops and DIS flow so that a 2-core CPU
# distils a student in minutes.
#
#   python tools/data/make_sports_corpus.py data/raw/sports --videos-per-class 20
#   python tools/data/prepare.py configs/preparation/synthetic_sports.py
_base_ = ['./video_folder.py']
custom_imports = dict(imports=['vpd_mm', 'vpd_mm.synthetic'], allow_failed_imports=False)

dataset_name = 'sports'
data_root = 'data/raw/sports/'
out_dir = 'data/sports/'
reader = dict(
    _delete_=True,
    type='SegmentListReader',
    data_root=data_root,
    video_dir='videos',
    ann_file='annotations/sports_videos.json',
    unit='frame',
    dataset=dataset_name)
detector = dict(
    _delete_=True,
    type='SimulatedPersonDetector',
    miss_rate=0.03,
    false_positive_rate=0.1,
    box_jitter=0.03,
    seed=0)
teacher = dict(_delete_=True, type='SimulatedPoseTeacher', seed=0)
crop_size = 64
flow = dict(type='DISFlowEstimator', preset='medium')
