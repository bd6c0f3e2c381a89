"""The dating vote's measured rates; written by bench/date_weights.py --write, not by hand."""

from __future__ import annotations

from functools import lru_cache

from pipelines.dating.vote import Weights, weights_from_rates

# Written by `PYTHONPATH=. python bench/date_weights.py --write` from the 863 dated pages of the corpus
# sets dates, htmldate-default, trafilatura-eval, readability (../shared/corpus).
# FEATURE_RATES: feature -> set -> (days with the feature that were the true day, days with the feature).
# SET_PAGES: dated pages per set (a page of a smaller set weighs more: each set counts the same).
# PATTERN_RATES: winning pattern -> (winners right, winners seen): the stored date_confidence.
FEATURE_RATES: dict[str, dict[str, tuple[int, int]]] = {
    'htmldate': {'dates': (178, 190), 'htmldate-default': (303, 333), 'readability': (31, 33), 'trafilatura-eval': (254, 294)},
    'itemprop-published': {'dates': (47, 47), 'htmldate-default': (56, 72), 'readability': (5, 6), 'trafilatura-eval': (53, 77)},
    'jsonld-other': {'dates': (32, 37), 'htmldate-default': (61, 67), 'readability': (4, 4), 'trafilatura-eval': (55, 62)},
    'jsonld-published': {'dates': (118, 123), 'htmldate-default': (147, 159), 'readability': (21, 21), 'trafilatura-eval': (126, 141)},
    'meta': {'dates': (38, 38), 'htmldate-default': (49, 56), 'readability': (3, 4), 'trafilatura-eval': (36, 43)},
    'modified': {'dates': (137, 145), 'htmldate-default': (143, 158), 'readability': (12, 15), 'trafilatura-eval': (116, 141)},
    'og-published': {'dates': (69, 70), 'htmldate-default': (160, 166), 'readability': (19, 21), 'trafilatura-eval': (136, 149)},
    'script': {'dates': (31, 37), 'htmldate-default': (29, 36), 'readability': (4, 5), 'trafilatura-eval': (21, 27)},
    'text': {'dates': (46, 50), 'htmldate-default': (150, 160), 'readability': (10, 12), 'trafilatura-eval': (137, 148)},
    'text-ambiguous': {'dates': (4, 5), 'htmldate-default': (4, 6), 'trafilatura-eval': (2, 3)},
    'text-far': {'dates': (1, 5), 'htmldate-default': (19, 24), 'readability': (0, 2), 'trafilatura-eval': (17, 22)},
    'text-more': {'dates': (23, 38), 'htmldate-default': (31, 90), 'readability': (2, 2), 'trafilatura-eval': (28, 77)},
    'text-outside': {'dates': (17, 30), 'htmldate-default': (30, 58), 'readability': (1, 1), 'trafilatura-eval': (27, 59)},
    'text-outside-ambiguous': {'dates': (0, 4), 'htmldate-default': (1, 2), 'trafilatura-eval': (1, 2)},
    'text-time': {'dates': (62, 63), 'htmldate-default': (62, 65), 'readability': (4, 4), 'trafilatura-eval': (45, 50)},
    'time': {'dates': (49, 50), 'htmldate-default': (93, 98), 'readability': (9, 12), 'trafilatura-eval': (77, 83)},
    'time-outside': {'dates': (10, 15), 'htmldate-default': (23, 53), 'readability': (2, 2), 'trafilatura-eval': (22, 50)},
    'url': {'dates': (46, 47), 'htmldate-default': (63, 65), 'trafilatura-eval': (52, 57)},
    'url-id': {'dates': (1, 1)},
    'utc-day-after': {'dates': (1, 47), 'htmldate-default': (1, 60), 'readability': (0, 13), 'trafilatura-eval': (1, 47)},
    'utc-day-before': {'dates': (2, 25), 'htmldate-default': (2, 46), 'readability': (0, 6), 'trafilatura-eval': (2, 44)},
}
SET_PAGES: dict[str, int] = {'dates': 195, 'htmldate-default': 339, 'readability': 33, 'trafilatura-eval': 296}
PATTERN_RATES: dict[str, tuple[int, int]] = {
    'htmldate': (30, 45),
    'htmldate|agrees': (30, 45),
    'htmldate|agrees|alone': (26, 38),
    'htmldate|agrees|split': (4, 7),
    'itemprop-published': (6, 6),
    'itemprop-published|agrees': (4, 4),
    'itemprop-published|agrees|alone': (4, 4),
    'itemprop-published|not-asked': (2, 2),
    'itemprop-published|not-asked|alone': (2, 2),
    'jsonld-other': (1, 1),
    'jsonld-other|agrees': (1, 1),
    'jsonld-other|agrees|split': (1, 1),
    'jsonld-published': (247, 263),
    'jsonld-published|agrees': (3, 5),
    'jsonld-published|agrees|split': (3, 5),
    'jsonld-published|differs': (1, 1),
    'jsonld-published|differs|split': (1, 1),
    'jsonld-published|not-asked': (243, 257),
    'jsonld-published|not-asked|alone': (100, 102),
    'jsonld-published|not-asked|split': (143, 155),
    'meta': (6, 12),
    'meta|agrees': (4, 8),
    'meta|agrees|alone': (2, 2),
    'meta|agrees|split': (2, 6),
    'meta|not-asked': (2, 2),
    'meta|not-asked|alone': (2, 2),
    'meta|silent': (0, 2),
    'meta|silent|alone': (0, 2),
    'og-published': (65, 68),
    'og-published|agrees': (6, 6),
    'og-published|agrees|split': (6, 6),
    'og-published|not-asked': (59, 62),
    'og-published|not-asked|alone': (24, 24),
    'og-published|not-asked|split': (35, 38),
    'script': (4, 4),
    'script|agrees': (4, 4),
    'script|agrees|alone': (4, 4),
    'text': (113, 119),
    'text-far': (7, 7),
    'text-far|agrees': (5, 5),
    'text-far|agrees|alone': (5, 5),
    'text-far|not-asked': (2, 2),
    'text-far|not-asked|alone': (2, 2),
    'text-outside': (11, 12),
    'text-outside|agrees': (11, 12),
    'text-outside|agrees|alone': (11, 12),
    'text-time': (172, 177),
    'text-time|agrees': (1, 1),
    'text-time|agrees|split': (1, 1),
    'text-time|not-asked': (171, 176),
    'text-time|not-asked|alone': (92, 97),
    'text-time|not-asked|split': (79, 79),
    'text|agrees': (2, 2),
    'text|agrees|split': (2, 2),
    'text|not-asked': (111, 117),
    'text|not-asked|alone': (75, 79),
    'text|not-asked|split': (36, 38),
    'time': (10, 10),
    'time-outside': (0, 2),
    'time-outside|agrees': (0, 2),
    'time-outside|agrees|split': (0, 2),
    'time|agrees': (8, 8),
    'time|agrees|alone': (1, 1),
    'time|agrees|split': (7, 7),
    'time|not-asked': (2, 2),
    'time|not-asked|alone': (2, 2),
    'url': (124, 128),
    'url-id': (1, 1),
    'url-id|not-asked': (1, 1),
    'url-id|not-asked|alone': (1, 1),
    'url|not-asked': (124, 128),
    'url|not-asked|alone': (55, 57),
    'url|not-asked|split': (69, 71),
}
PRIOR = 0.9322


@lru_cache(maxsize=1)
def load_weights() -> Weights:
    """The shipped vote."""
    return Weights(weights_from_rates(FEATURE_RATES, SET_PAGES), PATTERN_RATES, PRIOR)
