"""Which data sets the workflow analyses, from the configuration: pump series, MCMC and probe sets, display.

The configuration's ``datasets`` block names every pump-spectrum data set. Each has a ``series``: the raw
file ``pump_<series>.nc`` whose trace labelled with the data set's name holds its spectrum. ``mcmc.datasets``
get a posterior, ``readout.datasets`` have probe spectra (``probe_<name>.nc``, ``background_<name>.nc``) and a
verdict, which needs their posterior too. ``figures.pump_panels`` gives each pump series its Fig. 2 panel,
``figures.main_dataset`` the data set of Fig. 1d, Fig. 3 and the design maps. Nothing else in the workflow
names a data set.
"""

#: Colours of data sets without a ``color`` in the configuration, in the order of ``datasets``.
CYCLE = ("#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


class DatasetConfigError(ValueError):
    """The configuration's data-set lists do not fit together."""


def pump_series(config):
    """``{series: [data-set names]}`` in the configuration's order."""
    out = {}
    for name, entry in config["datasets"].items():
        out.setdefault(str(entry["series"]), []).append(name)
    return out


def series_of(config, name):
    """The pump series (raw file ``pump_<series>.nc``) holding data set ``name``."""
    return str(config["datasets"][name]["series"])


def label(datasets, name):
    """Display name of data set ``name`` (``label`` in the configuration, else the name)."""
    return str(datasets.get(name, {}).get("label", name))


def color(datasets, name):
    """Colour of data set ``name``: its ``color`` in the configuration, else one of :data:`CYCLE`."""
    entry = datasets.get(name, {})
    if "color" in entry:
        return entry["color"]
    uncoloured = [n for n in datasets if "color" not in datasets[n]]
    return CYCLE[uncoloured.index(name) % len(CYCLE)] if name in uncoloured else CYCLE[0]


def main_dataset(config):
    """The data set drawn in Fig. 1d, Fig. 3 and the design maps."""
    return str(config["figures"]["main_dataset"])


def check(config):
    """Raise :class:`DatasetConfigError` naming the key if the lists do not fit together."""
    names = set(config["datasets"])
    problems = []
    for key in ("mcmc", "readout"):
        unknown = [n for n in config[key]["datasets"] if n not in names]
        if unknown:
            problems.append(f"{key}.datasets names {unknown}, which are not in 'datasets' ({sorted(names)})")
    without = [n for n in config["readout"]["datasets"] if n not in config["mcmc"]["datasets"]]
    if without:
        problems.append(
            f"readout.datasets {without} have no posterior: add them to mcmc.datasets (the verdict needs both)"
        )
    series = set(pump_series(config))
    panels = set(config["figures"]["pump_panels"])
    if panels != series:
        problems.append(
            f"figures.pump_panels has panels for {sorted(panels)}, the data sets' series are {sorted(series)}"
        )
    figure_names = [p["name"] for p in config["figures"]["pump_panels"].values()]
    if len(set(figure_names)) != len(figure_names):
        problems.append(f"figures.pump_panels: figure names repeat ({figure_names})")
    if main_dataset(config) not in config["readout"]["datasets"]:
        problems.append(
            f"figures.main_dataset {main_dataset(config)!r} is not in readout.datasets "
            f"{list(config['readout']['datasets'])}"
        )
    if problems:
        raise DatasetConfigError("config: " + "; ".join(problems))
    return config
