"""Sceptre template handlers, one per module: `template: {type: <module name>}`."""
