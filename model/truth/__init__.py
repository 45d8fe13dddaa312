"""The synthetic truth: the guide's claims as named assumptions (``assumptions``) and the generator that
draws answers and outcomes from them (``generator``).

The committed sample's size and seed are here, not in the generator, so the command line can show
them without loading numpy.
"""

SAMPLE_ROWS, SAMPLE_SEED = 10_000, 2026  # the committed data/synthetic/sample.csv
SAMPLE_COMMAND = f"exodds synth --rows {SAMPLE_ROWS} --seed {SAMPLE_SEED} --out data/synthetic/sample.csv"
