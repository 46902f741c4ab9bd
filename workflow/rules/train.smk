# train rules: being written.
