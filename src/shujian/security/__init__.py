"""安全模块: accounts, permissions, org scope, masking by role, sealed data, keyed tokens, audit chain."""
