"""The benchmark results of ``benchmarks/*.md`` as data and as tables.

``benchmarks/run.py`` writes the results as a Markdown table (the file that is
committed). :func:`read_results` parses it back into rows, the
``benchmark-table`` directive renders the rows as a reStructuredText table,
and the performance page draws its chart from the same rows, so the page
shows exactly the committed numbers.
"""

import re
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive
from docutils.statemachine import StringList

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results.md"


def _number(cell):
    cell = cell.strip().replace(",", "")
    return float(cell) if cell else None


def _ratio(cell):
    """``'5.23 (3.72-7.48)'`` -> ``(5.23, 3.72, 7.48)``; empty -> None."""
    match = re.fullmatch(r"([\d.]+) \(([\d.]+)-([\d.]+)\)", cell.strip())
    return tuple(float(g) for g in match.groups()) if match else None


def read_results(path=RESULTS):
    """The results file as ``(preamble lines, header cells, rows, notes)``.

    Each row is a dict: ``workload``, ``metric``, ``skmlp`` (median), and for
    every other library ``<name>`` (median) and ``<name> ratio`` (median,
    min, max of other / skmlp per pair), ``target`` and ``met``.
    """
    lines = Path(path).read_text().splitlines()
    table = [i for i, line in enumerate(lines) if line.startswith("|")]
    if not table:
        raise ValueError("%s holds no results table" % path)
    preamble = [line for line in lines[: table[0]] if line and not line.startswith("#")]
    notes = [line[2:] for line in lines[table[-1] + 1 :] if line.startswith("- ")]

    def cells(line):
        return [cell.strip() for cell in line.strip().strip("|").split("|")]

    header = cells(lines[table[0]])
    # After workload, metric and skmlp, the columns come in pairs (another
    # library's median, then the ratio column), then target and met.
    libraries = header[3:-2:2]
    rows = []
    for i in table[2:]:
        row_cells = cells(lines[i])
        row = {"workload": row_cells[0], "metric": row_cells[1], "skmlp": _number(row_cells[2])}
        for k, name in enumerate(libraries):
            row[name] = _number(row_cells[3 + 2 * k])
            row[name + " ratio"] = _ratio(row_cells[4 + 2 * k])
        row["target"] = row_cells[-2]
        row["met"] = row_cells[-1].strip("*")
        rows.append(row)
    return preamble, header, rows, notes


class BenchmarkTable(Directive):
    """``.. benchmark-table:: [file]``: a results table of ``benchmarks/``, with its description.

    Without an argument, ``results.md`` (``benchmarks/run.py``); with one, that
    file of ``benchmarks/`` (for example ``tabular.md``, ``benchmarks/tabular.py``).
    """

    has_content = False
    optional_arguments = 1

    def run(self):
        path = RESULTS.parent / self.arguments[0] if self.arguments else RESULTS
        lines = path.read_text().splitlines()
        table = [i for i, line in enumerate(lines) if line.startswith("|")]
        if not table:
            raise self.error("%s holds no results table" % path)
        preamble = [line for line in lines[: table[0]] if line and not line.startswith("#")]
        notes = [line[2:] for line in lines[table[-1] + 1 :] if line.startswith("- ")]
        env = self.state.document.settings.env
        env.note_dependency(str(path))
        # The run's description holds library names such as
        # ``libscipy_openblas64_``: plain text, not markup.
        description = nodes.paragraph(text=" ".join(line.replace("`", "") for line in preamble))
        # benchmark-table for the common layout, benchmark-<file> for a table's own.
        classes = "benchmark-table benchmark-" + path.stem
        text = [".. list-table::", "   :header-rows: 1", "   :class: " + classes, ""]
        raw = [line for line in lines if line.startswith("|")]
        for line in [raw[0]] + raw[2:]:
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            text.append("   * - " + (cells[0] or " "))
            for cell in cells[1:]:
                text.append("     - " + (cell or " "))
        if notes:
            text.append("")
            text += ["- " + note for note in notes]
        container = nodes.container()
        self.state.nested_parse(StringList(text, source=str(path)), 0, container)
        return [description, *container.children]


def setup(app):
    app.add_directive("benchmark-table", BenchmarkTable)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
