"""Entity resolution (主体识别): normalisation, linkage, the subject registry and human review."""
