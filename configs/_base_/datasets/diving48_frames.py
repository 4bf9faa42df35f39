# Diving48's distillation frames as the student reads them: crop size and RGB statistics (0..255).
# Shared by the distillation data (diving48_vpd.py) and the BiGRU on the frozen student
# (recognition/bigru_frozen_student_diving48.py), which must normalise as the student was trained.
crop_size = 128
rgb_mean = [86.955, 118.065, 131.58]
rgb_std = [41.565, 43.605, 49.215]
