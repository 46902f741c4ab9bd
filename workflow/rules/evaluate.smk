# evaluate rules: being written.
