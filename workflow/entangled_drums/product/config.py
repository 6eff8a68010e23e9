"""From the workflow's configuration (plain dicts, Hz) to model parameters.

The analysis configuration holds only what an experimenter knows independently of the
spectra (docs/model.md §5): device values and the nominal pump settings of each data set.
"""

from pathlib import Path

import yaml

from ..physics.model import Params

#: The analysis configuration, relative to the repository root (a notebook's working directory).
DEFAULT_CONFIG = Path("config/config.yaml")


def defaults(path=DEFAULT_CONFIG):
    """The analysis configuration as a dict: the defaults of a notebook run by hand.

    (Under Snakemake every value is injected from the validated, possibly overridden config.)
    """
    with open(path) as fh:
        return yaml.safe_load(fh)


DEVICE_FIELDS = ("f1", "f2", "gamma1", "gamma2", "kappa", "kappa_out", "g_ratio")


def nominal_params(device, dataset, **overrides):
    """``Params`` from the config's ``device`` dict and one ``datasets`` entry.

    ``Delta`` (Hz) is split symmetrically: ``delta_plus = Delta``, ``delta_minus = -Delta``
    (mean pump offset zero). ``overrides`` set any other ``Params`` field.
    """
    values = {key: float(device[key]) for key in DEVICE_FIELDS}
    values["G_minus"] = float(dataset["G_minus"])
    values["G_plus"] = float(dataset["G_plus"])
    delta = float(dataset.get("Delta", 0.0))
    values["delta_plus"], values["delta_minus"] = delta, -delta
    values.update(overrides)
    return Params(**values)
