"""Model governance (模型治理): lifecycle, immutable versions with diffs, certification, listing, adoption, 台账."""
