"""CSV import of leads and opportunities: one engine for the CLI, the Import page and the REST API."""

from crm.importing.engine import DEFAULT_BATCH_SIZE, ImportFailed, ImportPreview, Progress, import_csv, preview
from crm.importing.fields import ENTITIES, FIELDS, KEYS
from crm.importing.mapping import InvalidImportFile, InvalidMapping, Mapping, load_mapping, suggest_columns
from crm.importing.report import ImportReport, RowError

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "ENTITIES",
    "FIELDS",
    "KEYS",
    "ImportFailed",
    "ImportPreview",
    "ImportReport",
    "InvalidImportFile",
    "InvalidMapping",
    "Mapping",
    "Progress",
    "RowError",
    "import_csv",
    "load_mapping",
    "preview",
    "suggest_columns",
]
