"""CSV import of leads, opportunities and accounts: the one front door for the CLI, the Import page and the API."""

from crm.importing.cli import import_command
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
    "import_command",
    "import_csv",
    "load_mapping",
    "preview",
    "suggest_columns",
]
