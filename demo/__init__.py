"""The demo data generator: a realistic, deterministic sales org with known truths (``python -m crm seed-demo``)."""
