"""Deterministic generator of the SYNTHETIC survey that stands in for Cai (2009).

The microdata of Cai, S. (2009), "The importance of customer focus for organizational
performance: a study of Chinese companies" (IJQRM 26(4), 369-379) are not public. The
compendium therefore ships a synthetic survey generated here from a documented population model
and sampling design (see data/README.md):

* ``frame``            - 143,000-firm frame in 29 provinces; stratified systematic PPS sampling;
* ``population_model`` - standardized SEM CO -> CRP -> {PP, CS} -> FP (+ two departures) and
                         7-point ordinal items skewed toward agreement;
* ``instrument``       - the 21 item wordings (written for this project, not Cai's);
* ``fieldwork``        - respondent role, submission date, early/late wave;
* ``pii``              - obviously fake respondent contact columns;
* ``faults``           - injected data problems and their ground truth;
* ``generator``        - ``generate()`` assembles a survey from a seed;
* ``output``           - byte-stable csv / codebook / manifest writers;
* ``__main__``         - the CLI ``python -m surveysem.synthetic``.
"""

from .faults import FaultRates
from .generator import (
    DEFAULT_FRAME_SEED,
    DEFAULT_N,
    DEFAULT_SEED,
    DEFAULT_STUDY,
    RAW_COLUMNS,
    SyntheticSurvey,
    generate,
)
from .instrument import CONSTRUCTS, ITEMS, item_names
from .output import study_paths, write_survey
from .population_model import DEFAULT_MODEL, PopulationModel

__all__ = [
    "CONSTRUCTS",
    "DEFAULT_FRAME_SEED",
    "DEFAULT_MODEL",
    "DEFAULT_N",
    "DEFAULT_SEED",
    "DEFAULT_STUDY",
    "ITEMS",
    "RAW_COLUMNS",
    "FaultRates",
    "PopulationModel",
    "SyntheticSurvey",
    "generate",
    "item_names",
    "study_paths",
    "write_survey",
]
