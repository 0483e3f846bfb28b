"""CSV export helpers shared by every report."""


def safe_cell(value) -> str:
    """Text for a spreadsheet cell; a leading = + - @ (or tab, CR) is defused with a quote so no
    cell runs as a formula when the file is opened in a spreadsheet. Use it for text people wrote
    (names, comments, labels); numbers are written as they are."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
