"""What a predictor sees of a program: the scheduled IRModule, per-store features, the AST graph."""
