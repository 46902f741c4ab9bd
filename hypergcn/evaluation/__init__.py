"""Evaluation: metrics, test-set scoring (``hypergcn evaluate``), stream fusion (``hypergcn ensemble``) and
the paper-style summary table and report plots (``hypergcn summarize``)."""
