"""Record lists as cards on phones: static CSS (no user text) keyed on container keys.

Under 640 px Streamlit stacks a row's columns into one column of values under one column of headers.
A list drawn as ``st.container(key=f"{prefix}_list_header")`` plus one ``st.container(key=f"{prefix}_row_<id>")``
per record becomes: no header row; each record a bordered card, its first cell (the name) on top and the
other cells flowing on one or two lines. Cells in containers keyed ``{prefix}_<field>_<id>`` get a small
label before them (``labels``: field → label), since the header row is hidden.
"""

from __future__ import annotations


def record_cards_css(prefix: str, labels: dict[str, str]) -> str:
    """The ``<style>`` block that turns the ``prefix`` list into cards on phones."""
    row = f'[class*="st-key-{prefix}_row_"]'
    labelled = ", ".join(f'[class*="st-key-{prefix}_{field}_"]' for field in labels)
    before = "\n".join(
        f'  [class*="st-key-{prefix}_{field}_"]::before {{ content: "{label}"; margin-right: 0.3rem; opacity: 0.6; }}'
        for field, label in labels.items()
    )
    return f"""<style>
@media (max-width: 640px) {{
  .st-key-{prefix}_list_header {{ display: none; }}
  {row} {{ border: 1px solid rgba(128, 128, 128, 0.3); border-radius: 0.5rem; padding: 0.4rem 0.75rem; }}
  {row} [data-testid="stHorizontalBlock"] {{ flex-wrap: wrap; gap: 0.1rem 0.9rem; }}
  {row} [data-testid="stColumn"] {{ flex: 0 1 auto !important; width: auto !important; min-width: 0 !important; }}
  {row} [data-testid="stColumn"]:first-child {{ flex-basis: 100% !important; }}
{before}
  {labelled} {{ flex-direction: row; align-items: baseline; gap: 0; }}
}}
</style>"""
