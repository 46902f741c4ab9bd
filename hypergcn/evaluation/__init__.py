"""Evaluation: metrics, test-set scoring and features (``hypergcn evaluate``), stream fusion (``hypergcn
ensemble``), the paper-style summary table (``hypergcn summarize``) and the report's figures (``hypergcn
figure``), those of what the model learned included: hypergraphs, t-SNE of the features, per-class results."""
