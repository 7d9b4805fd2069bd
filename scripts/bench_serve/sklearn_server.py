"""The same model served the usual Python way, for scripts/bench_serve.sh:
a scikit-learn pipeline (median / most-frequent imputation, standard
scaling, one-hot encoding with unknown levels ignored, an MLP of the same
hidden sizes) trained on the same CSV, behind Flask under gunicorn, with the
same SageMaker routes and the same text/csv body (no header, the feature
columns in order). Environment: BENCH_DATA (training CSV), BENCH_FEATURES
(comma-separated), BENCH_TARGET, BENCH_POSITIVE, BENCH_HIDDEN (e.g. 64,32).
"""

import io
import os

import numpy as np
import pandas as pd
from flask import Flask, Response, request
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

FEATURES = os.environ["BENCH_FEATURES"].split(",")
TARGET = os.environ["BENCH_TARGET"]
POSITIVE = os.environ["BENCH_POSITIVE"]
HIDDEN = tuple(int(h) for h in os.environ["BENCH_HIDDEN"].split(","))


def build():
    data = pd.read_csv(os.environ["BENCH_DATA"])
    x = data[FEATURES]
    categorical = [c for c in FEATURES if not pd.api.types.is_numeric_dtype(x[c])]
    numeric = [c for c in FEATURES if c not in categorical]
    prep = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                categorical,
            ),
        ]
    )
    model = Pipeline([("prep", prep), ("mlp", MLPClassifier(HIDDEN, max_iter=10, random_state=0))])
    model.fit(x, data[TARGET] == POSITIVE)
    return model, categorical


MODEL, CATEGORICAL = build()
app = Flask(__name__)


@app.get("/ping")
def ping():
    return Response(status=200)


@app.post("/invocations")
def invocations():
    if request.content_type is None or not request.content_type.startswith("text/csv"):
        return Response("send text/csv\n", status=415)
    try:
        x = pd.read_csv(
            io.BytesIO(request.get_data()),
            header=None,
            names=FEATURES,
            dtype={c: str for c in CATEGORICAL},
        )
        p = MODEL.predict_proba(x)[:, 1]
    except Exception as e:  # noqa: BLE001 - a bad body is the client's 400
        return Response(f"{e}\n", status=400)
    body = "\n".join(f"{v:.6f}" for v in np.asarray(p)) + "\n"
    return Response(body, status=200, mimetype="text/csv")
