"""From Python: a run, the contour with its paths, the animation and the per-step curves, drawn
by the same builders as the page (``viz``). Run it as a script or paste it into a notebook cell
by cell; it writes the figures as offline HTML files into the folder given (default: here).

    python examples/walkthrough.py [OUT_FOLDER]
"""

import sys
from pathlib import Path

from landscapes import get_landscape
from optim_core import make_optimizer, run
from viz import contour_figure, contour_spec, metric_figure, summary_rows
from viz.html_export import html_document

out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")

# 1. A run: three optimizers from the same start on Rosenbrock's valley.
land = get_landscape("rosenbrock")
start = [-1.5, 2.5]
results = [run(land, make_optimizer(name, **hp), [start], steps=500)
           for name, hp in (("momentum", {}), ("rmsprop", {}), ("adam", {"lr": 0.1}))]
for res in results:
    print(f"{res.label:24} final loss {res.loss[-1, 0]:.3g} at {res.path[-1, 0].round(3)}")

# 2. The contour with the paths (in a notebook, `fig` on the last line of a cell shows it).
fig = contour_figure(land, results, height=600)
fig.write_html(out / "contour.html", include_plotlyjs=True)

# 3. The animation: the page's replay (▶, ±1 step, a step slider, speed) in one offline page.
animated = contour_spec(land, results, animated=True)
(out / "animation.html").write_text(html_document(animated, title="Rosenbrock"), encoding="utf-8")

# 4. The curves: loss and gradient norm against the step (log axes where every value is > 0).
for metric in ("loss", "grad_norm"):
    curve = metric_figure(results, metric, land, legend=True)
    curve.write_html(out / f"{metric}.html", include_plotlyjs=True)

# 5. The summary table as rows of plain values.
for row in summary_rows(results, land, 1e-2):
    print(row)

# 6. Files for slides (needs `pip install 'optiviz[export]'` and a Chromium-based browser):
#    from viz.export import export
#    Path("paths.gif").write_bytes(export("gif", land, results, size=(960, 720), fps=12))
