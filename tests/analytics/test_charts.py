"""The server-side SVG line chart: escaped text, gaps for missing values, shapes per series."""

from apps.analytics.charts import line_chart


def chart(**overrides):
    arguments = {
        "labels": ["Jan", "Feb", "Mar"],
        "series": [
            {"label": "Enterprise", "values": [10, None, 30]},
            {"label": "SMB", "values": [20, 25, 35]},
        ],
        "title": "Engaged customers",
        "y_suffix": "%",
    }
    return str(line_chart(**(arguments | overrides)))


def test_text_is_escaped():
    svg = chart(title="<script>x</script>", series=[{"label": "<b>A</b>", "values": [1, 2, 3]}])
    assert "<script>" not in svg and "<b>" not in svg
    assert "&lt;script&gt;" in svg


def test_a_missing_value_breaks_the_line_and_has_no_marker():
    svg = chart()
    enterprise_line = [part for part in svg.split("<polyline") if "chart__series--0" in part.split(">")[0]]
    assert enterprise_line == []  # two points separated by a gap: no segment has two points
    assert svg.count("Enterprise, ") == 2 and "Enterprise, Feb" not in svg


def test_series_differ_by_shape_and_dash_not_only_colour():
    svg = chart()
    assert "<circle" in svg and "<rect x=" in svg  # circle markers, then squares
    assert 'stroke-dasharray="6 3"' in svg
    assert "●" in svg and "■" in svg  # the legend repeats the shapes


def test_the_latest_label_is_always_shown_and_labels_are_thinned():
    labels = [f"W{i}" for i in range(53)]
    svg = chart(labels=labels, series=[{"label": "Score", "values": list(range(53))}])
    shown = [label for label in labels if f">{label}</text>" in svg]
    assert shown[-1] == "W52" and len(shown) <= 9
    assert "chart__legend" not in svg  # one series needs no legend


def test_bands_are_drawn_behind_the_lines():
    svg = chart(bands=[(0, 40, "red"), (40, 70, "amber"), (70, 100, "green")])
    assert svg.index("chart__band--red") < svg.index("<polyline")
