"""Run a jupytext percent notebook as a workflow step: convert, execute with papermill, render.

The ``.py`` notebook in ``notebooks/`` is the source. This module converts it to ``.ipynb``
(setting the kernelspec and ``language_info`` that Jupyter tools need), injects parameters
after the cell tagged ``parameters`` (papermill), executes it from the repository root, and
writes the executed notebook and an HTML render. On failure the partial outputs are removed
and the exit status is non-zero, so no half-written result survives.

Command line (used by the Snakemake rules)::

    python -m entangled_drums.product.notebook NOTEBOOK.py OUT.ipynb [--html OUT.html] [--params JSON]
    python -m entangled_drums.product.notebook --render EXECUTED.ipynb OUT.html

The workflow renders HTML in a rule of its own (``--render``, asked for by ``make report``), so
that nbconvert's ~2 s per step stay off the critical path of ``make``.
"""

import argparse
import json
import logging
import os
import sys
from pathlib import Path

KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}


def to_notebook(source):
    """Read a jupytext percent ``.py`` file as an nbformat notebook with kernel metadata."""
    import jupytext

    nb = jupytext.read(source)
    nb.metadata["kernelspec"] = dict(KERNEL)
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata.setdefault("jupytext", {})["formats"] = "ipynb,py:percent"
    return nb


def render_html(notebook_path, html_path):
    """Render an executed notebook to standalone HTML (code, outputs and figures)."""
    import nbconvert
    import nbformat

    nb = nbformat.read(notebook_path, as_version=4)
    body, _ = nbconvert.HTMLExporter().from_notebook_node(nb)
    Path(html_path).write_text(body, encoding="utf-8")


def run(source, output, parameters=None, html=None, cwd=None):
    """Execute notebook ``source`` (``.py``) with ``parameters``; write ``output`` (and ``html``).

    Removes the outputs again if execution fails, then re-raises.
    """
    import nbformat
    import papermill

    source, output = Path(source), Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    converted = output.with_name(output.stem + ".source.ipynb")
    nbformat.write(to_notebook(source), converted)
    env_backup = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "Agg"
    try:
        papermill.execute_notebook(
            str(converted),
            str(output),
            parameters=parameters or {},
            kernel_name=KERNEL["name"],
            cwd=str(cwd or Path.cwd()),
            progress_bar=False,
            log_output=True,
            start_timeout=600,  # a loaded machine (parallel jobs, cluster nodes) can take minutes to start a kernel
        )
        if html is not None:
            Path(html).parent.mkdir(parents=True, exist_ok=True)
            render_html(output, html)
    except BaseException:
        for path in (output, html):
            if path is not None and Path(path).exists():
                Path(path).unlink()
        raise
    finally:
        converted.unlink(missing_ok=True)
        if env_backup is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = env_backup


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook", help="jupytext percent notebook (.py); with --render an executed .ipynb")
    parser.add_argument("output", help="executed notebook to write (.ipynb); with --render the HTML to write")
    parser.add_argument("--html", help="HTML render to write")
    parser.add_argument("--params", default="{}", help="JSON object of parameters to inject")
    parser.add_argument("--render", action="store_true", help="only render an executed notebook as HTML")
    args = parser.parse_args(argv)
    if args.render:
        if not Path(args.notebook).is_file():
            parser.exit(2, f"error: executed notebook {args.notebook}: no such file\n")
        try:
            render_html(args.notebook, args.output)
        except Exception as err:
            Path(args.output).unlink(missing_ok=True)
            print(f"error: rendering {args.notebook} failed: {type(err).__name__}: {err}", file=sys.stderr)
            return 1
        return 0
    # papermill streams every cell's output to this logger: the step's log shows its progress
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    if not Path(args.notebook).is_file():
        parser.exit(2, f"error: notebook {args.notebook}: no such file\n")
    try:
        parameters = json.loads(args.params)
    except json.JSONDecodeError as err:
        parser.exit(2, f"error: --params is not valid JSON: {err}\n")
    try:
        run(args.notebook, args.output, parameters, args.html)
    except Exception as err:  # papermill's error names the failing cell; keep its message
        print(f"error: notebook {args.notebook} failed: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
