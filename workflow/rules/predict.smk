# Predictions for a folder of new raw clips (config `predict:`, off when empty; docs/predict.md): the
# workflow's trained models of one dataset/benchmark/size, one modality or a stream set fused with the
# weights the workflow's ensemble of those streams uses (predict_params.smk).


# A clip that cannot be read is listed in the outputs with its reason and does not fail the job
# (--allow-bad-clips); a model that cannot run does.
rule predict_clips:
    input:
        models=predict_models,
        ensemble=predict_ensemble,
        clips=lambda wildcards: PREDICT["clips"],
    output:
        csv="results/predict/{dataset}/{benchmark}/{size}/{predicted}/predictions.csv",
        json="results/predict/{dataset}/{benchmark}/{size}/{predicted}/predictions.json",
    log:
        "results/logs/predict_clips/{dataset}/{benchmark}/{size}/{predicted}.log",
    wildcard_constraints:
        predicted="|".join([*STREAM_SETS, *MODALITIES]),
    conda:
        "../../envs/train.yaml"
    threads: train_threads
    resources:
        gpu=GPU_PER_JOB,
    params:
        options=predict_options,
        selection=HONEST_SELECTION,
        out=lambda wildcards, output: os.path.dirname(output.csv),
        device=device,
    shell:
        "hypergcn predict {params.options:q} --selection {params.selection} --out {params.out:q}"
        " --allow-bad-clips --device {params.device} --threads {threads} {input.clips:q}"
        " > {log:q} 2>&1"
