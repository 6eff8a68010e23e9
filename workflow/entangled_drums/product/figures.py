"""One figure style and the drawing helpers the notebooks share.

Every figure is saved as PDF (vector, for the manuscript) and PNG (for the report) with
reproducible metadata (no creation date), so a re-run writes identical files.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Ellipse  # noqa: E402

from ..physics.units import VACUUM_VARIANCE  # noqa: E402

#: Colours used throughout: pump red/blue, probes, data sets C (black) and D (red) as the paper.
COLORS = {
    "red_pump": "#c0392b",
    "blue_pump": "#2155a3",
    "probe": "#16a085",
    "cavity": "0.55",
    "theory": "#e67e22",
    "vacuum": "#2c7bb6",  # data sets: their colour in the config (entangled_drums.data.datasets)
}

STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": 200,
    "font.size": 9,
    "axes.labelsize": 9,
    "axes.titlesize": 9,
    "legend.fontsize": 7.5,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "lines.linewidth": 1.2,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "entangled-drums",
    "pdf.fonttype": 42,
}


def use_style():
    """Apply the project's matplotlib style."""
    plt.rcParams.update(STYLE)


def save(fig, stem, formats=("pdf", "png")):
    """Save ``fig`` as ``stem.<fmt>`` for each format; return the written paths."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        path = stem.with_suffix("." + fmt)
        metadata = {"CreationDate": None} if fmt == "pdf" else ({"Date": None} if fmt == "svg" else {"Software": None})
        fig.savefig(path, metadata=metadata, bbox_inches="tight")
        paths.append(path)
    return paths


def tone_markers(ax, freqs_hz, color, label, height=1.0, style="-"):
    """Vertical arrows at lab offsets ``freqs_hz`` (Hz) on an axis in MHz."""
    for i, f in enumerate(np.atleast_1d(freqs_hz)):
        ax.annotate(
            "",
            xy=(f / 1e6, height),
            xytext=(f / 1e6, 0),
            arrowprops=dict(arrowstyle="-|>", color=color, lw=1.4, linestyle=style),
        )
        ax.plot([], [], color=color, label=label if i == 0 else None, linestyle=style)


def spectral_picture(ax, tones, kappa_hz, f_span_hz):
    """Fig. 1b/c: cavity Lorentzian (FWHM kappa) with the tones and sidebands in ``tones``.

    ``tones``: list of dicts with keys ``f`` (Hz offset from f_c), ``color``, ``label``,
    optional ``height`` and ``style``.
    """
    f = np.linspace(-f_span_hz, f_span_hz, 4001)
    ax.fill_between(
        f / 1e6,
        1.0 / (1.0 + (2 * f / kappa_hz) ** 2),
        color=COLORS["cavity"],
        alpha=0.35,
        lw=0,
        label=r"cavity ($\kappa$)",
    )
    for tone in tones:
        tone_markers(ax, tone["f"], tone["color"], tone["label"], tone.get("height", 1.0), tone.get("style", "-"))
    ax.set_xlim(-f_span_hz / 1e6, f_span_hz / 1e6)
    ax.set_ylim(0, 1.25)
    ax.set_yticks([])
    ax.set_xlabel(r"$(\omega-\omega_c)/2\pi$ (MHz)")


def covariance_ellipse(ax, cov2, color, label=None, n_sigma=1.0, **kwargs):
    """Draw the ``n_sigma`` contour of a 2x2 covariance as an ellipse centred at 0."""
    vals, vecs = np.linalg.eigh(cov2)
    angle = np.degrees(np.arctan2(vecs[1, 1], vecs[0, 1]))
    width, height = 2 * n_sigma * np.sqrt(vals[1]), 2 * n_sigma * np.sqrt(vals[0])
    ax.add_patch(
        Ellipse((0, 0), width, height, angle=angle, facecolor=color, alpha=0.35, edgecolor=color, label=label, **kwargs)
    )


def fluctuation_ellipses(axes, V, index, title_suffix="", color="black"):
    """Fig. 1d: (X1, X2) and (P1, P2) fluctuation ellipses from covariance ``V``.

    ``index``: quadrature index of 'b1' and 'b2' in ``V``. Marks the X+ and P- directions and
    the zero-point circle (variance 1/2 per quadrature). ``color``: the data set's.
    """
    b1, b2 = index["b1"], index["b2"]
    planes = [("X", 0, (1, 1), r"$X_+$"), ("P", 1, (-1, 1), r"$P_-$")]
    radius = np.sqrt(VACUUM_VARIANCE)
    for ax, (q, offset, direction, name) in zip(axes, planes, strict=True):
        sel = [b1 + offset, b2 + offset]
        cov2 = V[np.ix_(sel, sel)]
        extent = 1.15 * np.sqrt(np.linalg.eigvalsh(cov2).max())
        covariance_ellipse(ax, cov2, color, label="steady state (1σ)")
        ax.add_patch(
            plt.Circle((0, 0), radius, fill=False, color=COLORS["vacuum"], lw=1.2, ls="--", label="zero-point")
        )
        d = np.array(direction) / np.sqrt(2)
        ax.annotate(
            "",
            xy=tuple(extent * d),
            xytext=tuple(-extent * d),
            arrowprops=dict(arrowstyle="<->", color=COLORS["theory"], lw=1.0),
        )
        ax.text(*(0.8 * extent * d + np.array([0.05, -0.25]) * extent), name, color=COLORS["theory"])
        ax.set_xlim(-extent, extent)
        ax.set_ylim(-extent, extent)
        ax.set_aspect("equal")
        ax.set_xlabel(rf"${q}_1$")
        ax.set_ylabel(rf"${q}_2$")
        ax.set_title(rf"$({q}_1, {q}_2)$ plane{title_suffix}")
    axes[0].legend(loc="upper right", frameon=False)


def gapped(f, *ys, factor=5.0):
    """Insert NaN where the grid jumps (> ``factor`` x the median step) so lines break between windows."""
    steps = np.diff(f)
    cut = np.flatnonzero(steps > factor * np.median(steps)) + 1
    return (np.insert(np.asarray(f, dtype=float), cut, np.nan),) + tuple(
        np.insert(np.asarray(y, dtype=float), cut, np.nan) for y in ys
    )


def binned(f, *ys, k=6, factor=5.0):
    """Means of ``k`` adjacent bins within each contiguous window of ``f`` (for display), NaN between windows."""
    steps = np.diff(f)
    cuts = np.concatenate([[0], np.flatnonzero(steps > factor * np.median(steps)) + 1, [f.size]])
    out = [[] for _ in range(len(ys) + 1)]
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        n = k * ((b - a) // k)
        for j, arr in enumerate((f,) + ys):
            out[j].append(np.asarray(arr[a : a + n], dtype=float).reshape(-1, k).mean(axis=1))
            out[j].append([np.nan])
    return tuple(np.concatenate(parts[:-1]) for parts in out)


def duan_map_panel(fig, ax, x, y, duan, points, clip=3.0):
    """A Duan map (rows ``y``, columns ``x``) with the Duan = 1 contour and labelled operating points.

    ``points``: {label: (x, y)}; unstable (NaN) cells stay blank.
    """
    mesh = ax.pcolormesh(x, y, np.clip(duan, 0, clip), cmap="viridis_r", shading="auto")
    ax.contour(x, y, duan, levels=[1.0], colors="white", linewidths=1.2)
    for label, (px, py) in points.items():
        ax.plot(px, py, "o", ms=4, mfc=COLORS.get(label, "white"), mec="white")
        ax.annotate(label, (px, py), xytext=(3, 3), textcoords="offset points", fontsize=6, color="white")
    fig.colorbar(mesh, ax=ax, label=f"Duan at optimal φ (clipped at {clip:g})")


def raw_traces(ax, ds, indices, f_ref, title, scale=1e3, unit="kHz", colors=None):
    """Plot raw PSD traces (W/Hz, log scale) of a series against ``f - f_ref`` (in ``unit``)."""
    cmap = plt.get_cmap("viridis")
    for n, i in enumerate(indices):
        f, psd = gapped(np.asarray(ds["frequency"].values[i]), np.asarray(ds["psd"].values[i]))
        color = colors[n] if colors is not None else cmap(n / max(1, len(indices) - 1))
        ax.plot((f - f_ref) / scale, psd, lw=0.6, color=color, label=str(ds["label"].values[i]))
    ax.set_yscale("log")
    ax.set_xlabel(f"$(f-f_c)$ ({unit})")
    ax.set_ylabel("PSD (W/Hz)")
    ax.set_title(title)
    ax.legend(frameon=False, fontsize=6)


def thermal_panel(ax, thermal, drum, color):
    """Fig. S1: sideband area vs the fridge's Bose occupation, the line fit, and the base point."""
    n = np.asarray(thermal["occupation_fridge"])
    area = np.asarray(thermal["areas_W"]) * 1e15
    err = np.asarray(thermal["area_sigmas_W"]) * 1e15
    used = np.asarray(thermal["used_in_fit"], dtype=bool)
    ax.errorbar(n[used], area[used], err[used], fmt="o", color=color, ms=4, label=f"drum {drum}: fitted points")
    ax.errorbar(
        n[~used],
        area[~used],
        err[~used],
        fmt="s",
        mfc="white",
        color=color,
        ms=4,
        label=f"drum {drum}: saturated (not fitted)",
    )
    x = np.linspace(0, n.max() * 1.05, 50)
    ax.plot(x, (thermal["area_per_phonon_W"] * x + thermal["offset_W"]) * 1e15, color=color, lw=1)
    n_b, s_b = thermal["n_base"], thermal["n_base_sigma"]
    ax.axvline(n_b, color=color, ls=":", lw=0.8)
    ax.annotate(
        rf"$n_{{{drum}}}^T$ = {n_b:.1f} $\pm$ {s_b:.1f}",
        (n_b, area.max() * (0.35 if drum == 1 else 0.2)),
        xytext=(5, 0),
        textcoords="offset points",
        color=color,
        fontsize=7,
    )
    ax.set_xlabel("fridge occupation $n(T)$ (Bose, drum frequency)")
    ax.set_ylabel("sideband area (fW)")


def spectrum_with_residuals(
    ax, ax_res, f_khz, data, model, sigma, color="black", offset=0.0, label=None, model_color=None, bin_to=None
):
    """Data (dots, optionally re-binned for display) and model line; normalised residuals below."""
    f_plot, d_plot, m_plot = f_khz, data, model
    if bin_to and f_khz.size > bin_to:
        k = f_khz.size // bin_to
        n = k * (f_khz.size // k)
        f_plot, d_plot, m_plot = (np.asarray(a[:n]).reshape(-1, k).mean(axis=1) for a in (f_khz, data, model))
    ax.plot(f_plot, d_plot + offset, ".", ms=1.6, color=color, label=label)
    ax.plot(f_khz, model + offset, "-", lw=1.0, color=model_color or COLORS["theory"])
    if ax_res is not None:
        ax_res.plot(f_khz, (data - model) / sigma, ".", ms=0.8, color=color, alpha=0.6)
        ax_res.axhline(0, color="0.4", lw=0.6)
        ax_res.set_ylabel(r"res./$\sigma$")
