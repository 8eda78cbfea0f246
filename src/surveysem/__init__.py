"""surveysem: the science of the cai2009 compendium as plain functions over pandas and numpy.

Modules never import Snakemake; workflow/scripts/ call them. Results follow lavaan's naming
(parameterEstimates columns, fitMeasures names) so they can be diffed against R.
"""

__version__ = "0.1.0"
