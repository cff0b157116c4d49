"""The model and funnel checks on the public data sets in ../shared/datasets/ (each SOURCE.md says what they are).

Usage (each data set in a database and warehouse of its own, created and dropped here):
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres python benchmarks/real_data_checks.py [--keep]

- X Education leads (``examples/x_education_leads.json``): the product's lead-conversion model (its pipeline,
  sigmoid-calibrated) against a plain logistic regression (one-hot + imputation, nothing else) on the same
  columns, trained on the same 80 % of leads (by Lead Number, i.e. oldest first) and tested on the newest 20 %.
  The file has no creation dates, so the 90-day window of ``python -m analytics train`` cannot be used:
  the label is "converted" as the file says.
- Olist marketing funnel (``examples/olist_leads.json`` then ``examples/olist_closed_deals.json``): MQL → won
  deal conversion per origin with Wilson 95 % intervals (``analytics.conversion.conversion_by``).
Prints markdown tables.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import polars as pl
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.frozen import FrozenEstimator
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from sqlalchemy import create_engine, text

from analytics.conversion import conversion_by
from analytics.lead_model import CATEGORICAL_FEATURES, FEATURES, build_lead_pipeline, lead_frame
from analytics.query import run
from analytics.win_model import fit_pipeline
from core.db import transaction
from crm.actors import SYSTEM_ACTOR
from crm.importing import import_csv
from etl.refresh import refresh

ROOT = Path(__file__).resolve().parents[1]
DATASETS = next(p / "shared" / "datasets" for p in ROOT.parents if (p / "shared" / "datasets").is_dir())


def _database(server: str, name: str) -> str:
    engine = create_engine(server.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return server.rsplit("/", 1)[0] + "/" + name


def _drop(server: str, name: str) -> None:
    engine = create_engine(server.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def _load(url: str, folder: Path, files: list[tuple[str, Path, str]]) -> Path:
    from crm.migrate import migrate

    migrate(url)
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    for entity, source, mapping in files:
        with transaction(engine) as session:
            report = import_csv(
                session=session, actor=SYSTEM_ACTOR, entity=entity, source=source, mapping=ROOT / "examples" / mapping
            )
        print(f"{source.name}: {report.summary()}", file=sys.stderr)
    engine.dispose()
    warehouse = folder / "warehouse.duckdb"
    refresh(full=True, url=url, warehouse_path=warehouse)
    return warehouse


def plain_logistic_regression() -> Pipeline:
    """One-hot (missing = its own level) categoricals, median-imputed numbers, default L2 logistic regression."""
    numeric = [f for f in FEATURES if f not in CATEGORICAL_FEATURES]
    return Pipeline(
        [
            (
                "columns",
                ColumnTransformer(
                    [
                        (
                            "categorical",
                            Pipeline(
                                [
                                    ("fill", SimpleImputer(strategy="constant", fill_value="(missing)")),
                                    ("onehot", OneHotEncoder(handle_unknown="ignore")),
                                ]
                            ),
                            CATEGORICAL_FEATURES,
                        ),
                        ("numeric", SimpleImputer(strategy="median", keep_empty_features=True), numeric),
                    ]
                ),
            ),
            ("model", LogisticRegression(max_iter=2000)),
        ]
    )


def x_education(warehouse: Path) -> str:
    """Test AUC / Brier of the product's lead model and of a plain logistic regression, same columns and split."""
    order = run(
        "SELECT lead_id, CAST(external_id AS BIGINT) AS lead_number, is_converted OR status = 'converted' AS converted "
        "FROM leads",
        con=warehouse,
    )
    leads = (
        lead_frame(con=warehouse)
        .select("lead_id", *FEATURES)
        .join(order, on="lead_id")
        .sort("lead_number")
        .with_columns(pl.col("converted").cast(pl.Int64))
    )
    n = leads.height
    train, calibrate, test = leads[: int(n * 0.6)], leads[int(n * 0.6) : int(n * 0.8)], leads[int(n * 0.8) :]
    y = "converted"
    product = fit_pipeline(build_lead_pipeline(), train, FEATURES, y)
    calibrated = CalibratedClassifierCV(FrozenEstimator(product), method="sigmoid")
    calibrated.fit(calibrate.select(FEATURES).to_pandas(), calibrate[y].to_numpy())
    p_product = calibrated.predict_proba(test.select(FEATURES).to_pandas())[:, 1]
    both = pl.concat([train, calibrate])
    plain = plain_logistic_regression().fit(both.select(FEATURES).to_pandas(), both[y].to_numpy())
    p_plain = plain.predict_proba(test.select(FEATURES).to_pandas())[:, 1]
    truth = test[y].to_numpy().astype(int)
    base = np.full(len(truth), float(both[y].mean()))
    used = [f for f in FEATURES if leads[f].null_count() < n]
    rng = np.random.default_rng(0)
    diffs = []
    for _ in range(1000):  # paired bootstrap of the test leads
        i = rng.integers(0, len(truth), len(truth))
        if 0 < truth[i].sum() < len(i):
            diffs.append(roc_auc_score(truth[i], p_product[i]) - roc_auc_score(truth[i], p_plain[i]))
    low, high = np.quantile(diffs, [0.025, 0.975])
    lines = [
        f"X Education: {n:,} leads, {int(leads[y].sum()):,} converted; columns with any value: {', '.join(used)}; "
        f"train {train.height:,} / calibrate {calibrate.height:,} / test {test.height:,} (by Lead Number)",
        "",
        "| model | test AUC | test Brier |",
        "|---|---|---|",
        f"| product lead model (`build_lead_pipeline`, sigmoid-calibrated) | {roc_auc_score(truth, p_product):.3f} | "
        f"{brier_score_loss(truth, p_product):.4f} |",
        f"| plain logistic regression, same columns | {roc_auc_score(truth, p_plain):.3f} | "
        f"{brier_score_loss(truth, p_plain):.4f} |",
        f"| base rate only | 0.500 | {brier_score_loss(truth, base):.4f} |",
        "",
        f"AUC(product) − AUC(plain): {roc_auc_score(truth, p_product) - roc_auc_score(truth, p_plain):+.3f} "
        f"(paired bootstrap 95 % interval {low:+.3f} to {high:+.3f}, 1,000 resamples of the test leads)",
    ]
    return "\n".join(lines)


def olist(warehouse: Path) -> str:
    """MQL → won deal conversion per origin, with Wilson 95 % intervals."""
    frame = conversion_by("source", con=warehouse)
    lines = [
        "| origin | MQLs | won deals | conversion | Wilson 95 % |",
        "|---|---|---|---|---|",
    ]
    for r in frame.iter_rows(named=True):
        lines.append(
            f"| {r['label']} | {r['count_leads']:,} | {r['count_converted']:,} | {r['conversion_rate']:.1%} | "
            f"{r['conversion_rate_low']:.1%} – {r['conversion_rate_high']:.1%} |"
        )
    total_leads, total_won = int(frame["count_leads"].sum()), int(frame["count_converted"].sum())
    lines.append(f"| all | {total_leads:,} | {total_won:,} | {total_won / total_leads:.1%} | |")
    return "\n".join(lines)


def main() -> None:
    """Load each data set into a database of its own, run its check, print markdown."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--keep", action="store_true", help="keep the databases (h5_xedu, h5_olist)")
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = _database(server, "bench_real_xedu")
        (folder / "x").mkdir()
        leads_csv = DATASETS / "x_education_leads" / "Leads.csv"
        wh = _load(url, folder / "x", [("leads", leads_csv, "x_education_leads.json")])
        print(x_education(wh))
        if not args.keep:
            _drop(server, "bench_real_xedu")
        print()
        url = _database(server, "bench_real_olist")
        (folder / "o").mkdir()
        funnel = DATASETS / "olist_marketing_funnel"
        wh = _load(
            url,
            folder / "o",
            [
                ("leads", funnel / "olist_marketing_qualified_leads_dataset.csv", "olist_leads.json"),
                ("opportunities", funnel / "olist_closed_deals_dataset.csv", "olist_closed_deals.json"),
            ],
        )
        print(olist(wh))
        if not args.keep:
            _drop(server, "bench_real_olist")
    print(f"\nload average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
