"""Write-side use cases over the system of record; forms, CLI, importer and API all call these."""
