# Inputs and params of predict_clips (predict.smk): the `predict` block checked before any job, the
# models of its streams and the fusion weights the workflow's ensemble of those streams uses.

PREDICT = config.get("predict") or {}
PREDICT_KEYS = ("clips", "dataset", "benchmark", "size", "streams")


def predicted_modalities(streams):
    """The modalities of a `predict.streams` value: a stream set's, or the one modality it names."""
    return list(STREAM_SETS.get(streams, (streams,)))


def _check_predict():
    """A `predict:` block must name models the workflow trains; say which key is wrong before any job."""
    if not PREDICT:
        return
    missing = [key for key in PREDICT_KEYS if key not in PREDICT]
    if missing:
        raise WorkflowError(
            f"config key predict: missing {missing}; set them all, or `predict: {{}}` to turn it off"
        )
    dataset = PREDICT["dataset"]
    if dataset not in config["run"]:
        raise WorkflowError(
            f"config key predict.dataset: {dataset!r} is not in run: {config['run']}, so its models are "
            "not trained"
        )
    exp = experiment(dataset)
    for key, listed in (("benchmark", "benchmarks"), ("size", "sizes")):
        if PREDICT[key] not in exp.get(listed, []):
            raise WorkflowError(
                f"config key predict.{key}: {PREDICT[key]!r} is not in experiments.{dataset}.{listed}"
            )
    untrained = [
        m
        for m in predicted_modalities(PREDICT["streams"])
        if m not in exp.get("modalities", [])
    ]
    if untrained:
        raise WorkflowError(
            f"config key predict.streams: {PREDICT['streams']} needs {untrained}, which "
            f"experiments.{dataset}.modalities does not train"
        )


_check_predict()


def predict_targets():
    """predictions.csv and .json of the `predict:` block (none when it is off)."""
    if not PREDICT:
        return []
    p = PREDICT
    folder = (
        f"results/predict/{p['dataset']}/{p['benchmark']}/{p['size']}/{p['streams']}"
    )
    return [f"{folder}/predictions.csv", f"{folder}/predictions.json"]


def predict_models(wildcards):
    """The trained model.pt of every predicted modality (first seed)."""
    w = wildcards
    return [
        f"results/train/{w.dataset}/{w.benchmark}/{w.size}/{m}/model.pt"
        for m in predicted_modalities(w.predicted)
    ]


def predict_ensemble(wildcards):
    """With `ensemble.search`, the stream set's searched weights live in its ensemble's metrics.json."""
    if wildcards.predicted in STREAM_SETS and (config.get("ensemble") or {}).get(
        "search"
    ):
        w = wildcards
        return f"results/ensemble/{w.dataset}/{w.benchmark}/{w.size}/{w.predicted}/metrics.json"
    return []


def predict_options(wildcards, input):
    """--model per stream, and the fusion weights the workflow's ensemble of these streams uses."""
    models = [option for model in input.models for option in ("--model", model)]
    if wildcards.predicted not in STREAM_SETS:
        return models
    if input.ensemble:
        return [*models, "--ensemble", input.ensemble]
    weights = ensemble_weights(
        config,
        wildcards.dataset,
        wildcards.benchmark,
        wildcards.size,
        wildcards.predicted,
    )
    return [*models, "--weights", *map(str, weights)]
