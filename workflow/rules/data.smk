# data rules: being written.
