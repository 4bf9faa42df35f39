# The athlete among the tracked people: salience = length + size + motion + centrality (each
# normalised by its maximum over the candidate tracks); fragments joined across short gaps,
# gaps of up to 10 frames filled by linear interpolation (see vpd_mm AthleteSelector).
athlete = dict(
    type='AthleteSelector',
    weights=dict(length=1.0, size=1.0, motion=1.0, centrality=1.0),
    max_join_gap=25,
    join_iou=0.3,
    join_distance=1.0,
    join_size_ratio=1.5,
    max_interp_gap=10,
    min_track_len=10)
